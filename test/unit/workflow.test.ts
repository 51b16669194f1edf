/**
 * Invariants under test: the packaging workflow (.github/workflows/ci.yml) is a valid GitHub Actions
 * workflow by @action-validator/core (the validator's schema, compiled to wasm) — and the validator does
 * reject a broken one — and it does what README "Install" says: a matrix of ubuntu, macos and windows
 * running npm ci, npm test, npm run dist, the Electron smoke test required (under Xvfb on Linux), the
 * installers uploaded, and a draft release on a version tag.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';

const WORKFLOW = fileURLToPath(new URL('../../.github/workflows/ci.yml', import.meta.url));
const text = readFileSync(WORKFLOW, 'utf8');

describe('the CI and release workflow', () => {
  it('is valid for GitHub Actions, and the validator can tell', () => {
    expect(validateWorkflow(text).errors).toEqual([]);
    expect(validateWorkflow(text.replace('runs-on: ${{ matrix.os }}', 'runs-on: [')).errors.length).toBeGreaterThan(0);
    expect(validateWorkflow(text.replace('    steps:\n      - uses: actions/checkout@v4', '    stepz:\n      - uses: actions/checkout@v4')).errors.length).toBeGreaterThan(0);
  });

  it('tests, packages and smoke-tests on the three systems, then uploads the installers', () => {
    for (const os of ['ubuntu-latest', 'macos-latest', 'windows-latest']) expect(text).toContain(`- os: ${os}`);
    const order = ['run: npm ci', 'run: npm test', 'run: npm run dist', 'xvfb-run -a npx vitest run test/e2e/smoke-electron.test.ts', 'uses: actions/upload-artifact@v4'].map((step) => text.indexOf(step));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text.match(/FAIRBOUND_REQUIRE_ELECTRON: '1'/g)).toHaveLength(2);
    expect(text).toContain('if-no-files-found: error');
  });

  it('drafts a release on a version tag only', () => {
    expect(text).toMatch(/tags: \['v\*'\]/);
    expect(text).toContain("if: startsWith(github.ref, 'refs/tags/v')");
    expect(text).toMatch(/gh release create .* --draft/);
  });
});
