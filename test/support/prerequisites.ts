import { it } from 'vitest';

/**
 * One switch for every test that needs something outside the repository (a browser, a Debian dataset,
 * a built bundle, WebAssembly SIMD, two cores): locally a missing prerequisite skips its tests; under
 * FAIRBOUND_REQUIRE_ALL=1 (set by .ci/run) it fails instead, in a test named after what is missing.
 */
export const REQUIRE_ALL = process.env.FAIRBOUND_REQUIRE_ALL === '1';

/**
 * True when the caller should skip (`describe.skipIf(missing(…))`): the prerequisite is absent. Under
 * FAIRBOUND_REQUIRE_ALL=1 an absent prerequisite also registers a failing test that names it, so CI
 * cannot go green by skipping.
 */
export function missing(prerequisite: string, present: boolean): boolean {
  if (present) return false;
  if (REQUIRE_ALL) {
    it(`prerequisite: ${prerequisite}`, () => {
      throw new Error(`missing prerequisite: ${prerequisite} (FAIRBOUND_REQUIRE_ALL=1 turns this skip into a failure)`);
    });
  }
  return true;
}

/**
 * Like `missing`, for a prerequisite that only its own switch requires: with `${requireVar}=1` its absence
 * fails a test named after it; FAIRBOUND_REQUIRE_ALL leaves it a skip (the Electron binary, which this
 * project's CI cannot download; the release workflow sets FAIRBOUND_REQUIRE_ELECTRON=1).
 */
export function missingUnlessRequired(prerequisite: string, present: boolean, requireVar: string): boolean {
  if (present) return false;
  if (process.env[requireVar] === '1') {
    it(`prerequisite: ${prerequisite}`, () => {
      throw new Error(`missing prerequisite: ${prerequisite} (${requireVar}=1 turns this skip into a failure)`);
    });
  } else {
    it.skip(`prerequisite: ${prerequisite} (set ${requireVar}=1 to require it)`, () => undefined);
  }
  return true;
}
