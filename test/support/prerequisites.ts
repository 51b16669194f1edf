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
