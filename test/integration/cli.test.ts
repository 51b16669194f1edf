// Invariants of the `fairbound` command line as a user meets it: the built binary runs from the checkout,
// prints the fixtures' JSON shape, exits 0 for any verdict, 2 with a precise message for bad input, and
// never shows a stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../support/fixtures';

const BIN = fileURLToPath(new URL('../../bin/fairbound.mjs', import.meta.url));
const SMALL = join(FIXTURES_DIR, 'small_s0');

function fairbound(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of ratio_0.8's spec with some keys replaced, pointing at the fixture data in place. */
function writeSpec(name: string, change: (spec: Record<string, unknown>) => void): string {
  const spec = JSON.parse(readFileSync(join(SMALL, 'ratio_0.8', 'spec.json'), 'utf8')) as Record<string, unknown>;
  spec.files = { data: join(SMALL, 'data.csv'), metadata: join(SMALL, 'metadata.json'), theta_init: join(SMALL, 'theta_init.json') };
  change(spec);
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('fairbound --help', () => {
  it('lists the commands and exits 0', () => {
    const r = fairbound('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/qsa/);
    expect(r.stdout).toMatch(/parse/);
  });
  it('rejects an unknown command with exit 2', () => {
    const r = fairbound('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('fairbound qsa', () => {
  it('prints the expected.json shape with a passed verdict', () => {
    const r = fairbound('qsa', '--spec', join(SMALL, 'ratio_0.8', 'spec.json'), '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.passed_safety).toBe(true);
    expect(out.n_candidate).toBe(1000);
    expect(out.candidate_selection.chosen_index).toBe(8);
    expect(Object.keys(out.candidate_selection.trace)).toEqual(['0', '1', '2', '5', '10', '50', '100', '200', '500', '1000', '1199']);
    expect(out.safety_test.base_node_bounds['0.8-(min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])))']['ACC | [M]'].delta_lower).toBe(0.0125);
    expect(out.solution).toHaveLength(17);
  });
  it('writes an unneeded bound as the string "inf"', () => {
    const spec = writeSpec('acc', (s) => {
      s.constraints = ['ACC >= 0.5'];
    });
    const out = JSON.parse(fairbound('qsa', '--spec', spec, '--json', '--iterations', '5').stdout);
    expect(out.safety_test.base_node_bounds['0.5-(ACC)'].ACC.upper).toBe('inf');
    expect(out.candidate_selection.iterations_run).toBe(5);
  });
  it('reports No Solution Found from candidate selection with nulls and exit 0', () => {
    // M and F are exclusive, so the group [M,F] is empty: its bounds are infinite at iteration 0.
    const spec = writeSpec('empty-group', (s) => {
      s.constraints = ['(ACC | [M,F]) >= 0.5'];
    });
    const r = fairbound('qsa', '--spec', spec, '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.passed_safety).toBe(false);
    expect(out.cs_returned_nsf).toBe(true);
    expect(out.solution).toBeNull();
    expect(out.candidate_solution).toBeNull();
    expect(out.candidate_selection.chosen_index).toBeNull();
    expect(out.safety_test).toBeNull();
    expect(out.candidate_selection.trace['0'].g).toEqual(['inf']);
  });
  it('uses Hoeffding bounds in the safety test with --bound hoeffding', () => {
    const r = fairbound('qsa', '--spec', join(SMALL, 'ratio_0.8', 'spec.json'), '--json', '--iterations', '20', '--bound', 'hoeffding');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const nodes = Object.values(out.safety_test.base_node_bounds)[0] as Record<string, { lower: number; upper: number; mean: number; n_samples: number; delta_lower: number }>;
    for (const node of Object.values(nodes)) {
      const half = Math.sqrt(Math.log(1 / node.delta_lower) / (2 * node.n_samples));
      expect(node.upper).toBeCloseTo(Math.min(1, node.mean + half), 12);
      expect(node.lower).toBeCloseTo(Math.max(0, node.mean - half), 12);
    }
    expect(fairbound('qsa', '--spec', join(SMALL, 'ratio_0.8', 'spec.json'), '--bound', 'bootstrap').status).toBe(2);
  });
  it('prints a readable summary without --json', () => {
    const r = fairbound('qsa', '--spec', join(SMALL, 'ratio_1.01', 'spec.json'), '--iterations', '20');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/No Solution Found/);
  });
  it('fails the run (exit 1) when a ** base can be negative', () => {
    const spec = writeSpec('pow', (s) => {
      s.constraints = ['((PR | [M]) - (PR | [F])) ** 2 <= 0.01'];
    });
    const r = fairbound('qsa', '--spec', spec, '--json', '--iterations', '3');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the run failed: .*negative/);
    expectNoStackTrace(r.stderr);
  });

  const badInputs: Array<[string, () => string[], RegExp]> = [
    ['a missing spec file', () => ['--spec', join(dir, 'nope.json')], /nope\.json/],
    ['an unknown attribute', () => ['--spec', writeSpec('attr', (s) => { s.constraints = ['(ACC | [X]) >= 0.5']; })], /unknown attribute 'X' at column 9[\s\S]*\^/],
    ['δ outside (0, 1)', () => ['--spec', writeSpec('delta', (s) => { s.deltas = [1.5]; })], /deltas/],
    ['constraints and deltas of different length', () => ['--spec', writeSpec('len', (s) => { s.deltas = [0.05, 0.1]; })], /deltas|constraints/],
    ['frac outside (0, 1)', () => ['--spec', writeSpec('frac', (s) => { s.frac_data_in_safety = 0; })], /frac_data_in_safety/],
    ['a θ of the wrong length', () => {
      const theta = join(dir, 'theta.json');
      writeFileSync(theta, JSON.stringify([0, 1, 2]));
      return ['--spec', join(SMALL, 'ratio_0.8', 'spec.json'), '--theta-init', theta];
    }, /theta\.json.*17.*3|theta\.json.*3.*17/],
    ['a ragged data row', () => {
      const data = join(dir, 'ragged.csv');
      const lines = readFileSync(join(SMALL, 'data.csv'), 'utf8').trimEnd().split('\n');
      lines[11] = lines[11].split(',').slice(1).join(',');
      writeFileSync(data, lines.join('\n'));
      return ['--spec', join(SMALL, 'ratio_0.8', 'spec.json'), '--data', data];
    }, /ragged\.csv.*row 12/],
    ['a sensitive value that is not 0/1', () => {
      const data = join(dir, 'sens.csv');
      const lines = readFileSync(join(SMALL, 'data.csv'), 'utf8').trimEnd().split('\n');
      const cells = lines[4].split(',');
      cells[16] = '0.5';
      lines[4] = cells.join(',');
      writeFileSync(data, lines.join('\n'));
      return ['--spec', join(SMALL, 'ratio_0.8', 'spec.json'), '--data', data];
    }, /sens\.csv.*row 5.*'M'/],
    ['a binary model on multiclass data', () => ['--spec', writeSpec('mismatch', (s) => {
      const mc3 = join(FIXTURES_DIR, 'mc3_s1');
      s.files = { data: join(mc3, 'data.csv'), metadata: join(mc3, 'metadata.json'), theta_init: join(mc3, 'theta_init.json') };
    })], /mismatch\.json.*optimization\.model.*3 classes/],
    ['a bad --iterations', () => ['--spec', join(SMALL, 'ratio_0.8', 'spec.json'), '--iterations', '0'], /iterations/],
    ['a missing --spec', () => [], /--spec/],
  ];
  it.each(badInputs)('exits 2 with a precise message for %s', (_name, args, message) => {
    const r = fairbound('qsa', ...args(), '--json');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expectNoStackTrace(r.stderr);
  });

  it('reads a gzipped data file', () => {
    const gz = join(dir, 'data.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(SMALL, 'data.csv'))));
    const out = JSON.parse(fairbound('qsa', '--spec', join(SMALL, 'ratio_0.8', 'spec.json'), '--data', gz, '--json', '--iterations', '10').stdout);
    expect(out.n_candidate + out.n_safety).toBe(2000);
  });
});

describe('fairbound parse', () => {
  it('prints parsed and base nodes as bounds_cases.json names them', () => {
    const r = fairbound('parse', 'abs((FNR | [M]) - (FNR | [F])) + abs((FPR | [M]) - (FPR | [F])) <= 0.35', '--columns', 'M,F', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.parsed).toBe('abs((FNR | [M]) - (FNR | [F])) + abs((FPR | [M]) - (FPR | [F]))-(0.35)');
    expect(out.base_nodes.map((n: { name: string }) => n.name)).toEqual(['FNR | [M]', 'FNR | [F]', 'FPR | [M]', 'FPR | [F]']);
    expect(out.base_nodes[0]).toMatchObject({ measure_function: 'FNR', conditional_columns: ['M'], lower_needed: true, upper_needed: true, delta_lower: 0.00625, delta_upper: 0.00625 });
  });
  it('shows the error with a caret and exits 2', () => {
    const r = fairbound('parse', 'ACC >= 0.5 >= 0.1', '--columns', 'M,F');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/column 12/);
    expect(r.stderr.split('\n')[2]).toBe(`${' '.repeat(11)}^^`);
  });
});
