/**
 * Invariant under test: a trial is No Solution Found only when the algorithm says so, when a Seldonian
 * model's bounds cannot be computed (BoundingError: what the original engine raises as
 * ZeroDivisionError/ValueError, which the original library catches as NSF), or when a baseline throws.
 * Any other error of a Seldonian fit (a generic RangeError, a stack overflow) fails the trial: it is
 * stored with its message (not as "not violated"), left out of the aggregates and the export, shown by
 * `experiment show`, and the experiment ends failed — never completed — until a resume runs it again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BoundingError } from '../../src-shared/bounds/interval';
import { formatResults } from '../../src-main/cli/commands/experiment';
import { importSeldonian } from '../../src-main/data/importers';
import type { ExperimentModelType } from '../../src-main/experiments/models/model-type';
import { registerExperimentModelType } from '../../src-main/experiments/models/registry';
import { exportExperimentResults, experimentResults } from '../../src-main/experiments/results';
import { createExperiment, runExperiment } from '../../src-main/experiments/runner';
import { openWorkspace } from '../../src-main/store/database';
import { getExperiment, listExperiments, listTrials } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';

const tempDir = useTempDir('fairbound-trial-errors-');
const N = 200;

/** What the flaky model's fit does per trial index; a resume test swaps it. */
let behaviour: (trialIndex: number) => 'solution' | 'range-error' | 'stack-overflow' | 'bounding-error' | 'nsf' | 'predict-bug' = () => 'solution';

function recurse(n: number): number {
  return recurse(n + 1) + 1;
}

const flakyQsa: ExperimentModelType = {
  type: 'test-flaky-qsa',
  kind: 'seldonian',
  inputs: 'labels-only',
  execution: 'in-process',
  description: 'test model',
  spec: () => ({ name: 'flaky', type: 'test-flaky-qsa', params: {} }),
  check: () => null,
  create: ({ dataset }) => ({
    fit({ trialIndex }) {
      switch (behaviour(trialIndex)) {
        case 'range-error':
          throw new RangeError('index 7 outside the 5 rows');
        case 'stack-overflow':
          return { kind: 'nsf', reason: String(recurse(0)) };
        case 'predict-bug':
          return {
            kind: 'solution',
            predictor: {
              nOutputs: 1,
              predict: () => {
                throw new TypeError('probs is undefined');
              },
            },
            theta: null,
          };
        case 'bounding-error':
          throw new BoundingError('cannot bound a division by an interval that is exactly [0, 0]');
        case 'nsf':
          return { kind: 'nsf', reason: 'safety test failed' };
        case 'solution':
          return { kind: 'solution', predictor: { nOutputs: 1, predict: () => new Float64Array(dataset.nRows).fill(0.5) }, theta: null };
      }
    },
  }),
};

const brokenBaseline: ExperimentModelType = {
  type: 'test-broken-baseline',
  kind: 'baseline',
  inputs: 'labels-only',
  execution: 'in-process',
  description: 'test baseline',
  spec: () => ({ name: 'broken', type: 'test-broken-baseline', params: {} }),
  check: () => null,
  create: () => ({
    fit() {
      throw new TypeError('training diverged');
    },
  }),
};

registerExperimentModelType(flakyQsa);
registerExperimentModelType(brokenBaseline);

async function setup(): Promise<{ db: ReturnType<typeof openWorkspace>; id: number }> {
  const dir = tempDir();
  const files = twoGroupSeldonianFiles(twoGroupData({ nRows: N, seed: 5 }));
  writeFileSync(join(dir, 'data.csv'), files.csv);
  writeFileSync(join(dir, 'metadata.json'), files.metadata);
  const db = openWorkspace(join(dir, 'w.db'));
  const { dataset } = await importSeldonian(db, { csv: join(dir, 'data.csv'), metadata: join(dir, 'metadata.json'), name: 'two' });
  const id = createExperiment(db, {
    datasetId: dataset.id,
    constraints: [{ source: 'abs((PR | [M]) - (PR | [F])) <= 0.15', delta: 0.05 }],
    fractions: [1],
    nTrials: 6,
    models: [
      { name: 'flaky', type: 'test-flaky-qsa', params: {} },
      { name: 'broken', type: 'test-broken-baseline', params: {} },
    ],
    seed: 3,
  });
  return { db, id };
}

const PLAN = ['solution', 'range-error', 'bounding-error', 'stack-overflow', 'nsf', 'predict-bug'] as const;

describe('trials whose fit throws', () => {
  it('fail (stored with their error, left out of the results) unless the error is NSF by the original rules', async () => {
    behaviour = (i) => PLAN[i];
    const { db, id } = await setup();
    try {
      const summary = await runExperiment(db, id, { workers: 1 });
      expect(summary.status).toBe('failed');
      expect(summary.error).toMatch(/^3 trials failed with an error .*first: flaky φ=1 trial 1: RangeError: index 7 outside the 5 rows/);
      expect(getExperiment(db, id)).toMatchObject({ status: 'failed', error: summary.error });

      const flaky = listTrials(db, id).filter((t) => t.model === 'flaky');
      expect(flaky.map((t) => t.error ?? null)).toEqual([
        null, 'RangeError: index 7 outside the 5 rows', null, 'RangeError: Maximum call stack size exceeded', null, 'TypeError: probs is undefined',
      ]);
      expect(flaky[1]).toMatchObject({ passed: false, nsfReason: null });
      // The bounding error and the algorithm's own NSF stay NSF: g = −∞, with the reason.
      expect(flaky[2]).toMatchObject({ passed: false, g: [-Infinity], nsfReason: 'BoundingError: cannot bound a division by an interval that is exactly [0, 0]' });
      expect(flaky[4]).toMatchObject({ passed: false, g: [-Infinity], nsfReason: 'safety test failed' });
      expect(flaky[4].error).toBeUndefined();
      // A baseline that throws is NSF, as in the original library.
      const broken = listTrials(db, id).filter((t) => t.model === 'broken');
      expect(broken.every((t) => t.error === undefined && !t.passed && t.nsfReason === 'TypeError: training diverged')).toBe(true);

      const results = experimentResults(db, id)!;
      expect(results.failedTrials).toEqual([
        { model: 'flaky', fraction: 1, trialIndex: 1, error: 'RangeError: index 7 outside the 5 rows' },
        { model: 'flaky', fraction: 1, trialIndex: 3, error: 'RangeError: Maximum call stack size exceeded' },
        { model: 'flaky', fraction: 1, trialIndex: 5, error: 'TypeError: probs is undefined' },
      ]);
      const at = results.aggregates.models.find((m) => m.name === 'flaky')!.fractions[0];
      expect(at).toMatchObject({ trials: 3, solutions: 1, violations: [0] });
      expect(listExperiments(db)[0]).toMatchObject({ trialsStored: 9, trialsPlanned: 12 });

      const text = formatResults(results);
      expect(text).toContain('failed trials (3; no result, left out of every number above):');
      expect(text).toContain('  flaky φ=1 trial 1: RangeError: index 7 outside the 5 rows');
      expect(text).toMatch(/^experiment \d+ 'two experiment': failed \(3 trials failed/);
      expect(text).toContain('safety: Too few trials to tell');

      const out = mkdtempSync(join(tmpdir(), 'fairbound-trial-errors-export-'));
      try {
        const files = exportExperimentResults(results, out);
        const csv = readFileSync(join(out, files.find((f) => f.endsWith('flaky_results.csv'))!), 'utf8');
        expect(csv.trim().split('\n')).toHaveLength(1 + 3);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }

      // A resume runs the failed trials again (only them); once they succeed the experiment completes.
      behaviour = () => 'solution';
      const resumed = await runExperiment(db, id, { workers: 1 });
      expect(resumed).toMatchObject({ status: 'completed', error: null, trialsRun: 3, trialsSkipped: 9 });
      expect(listTrials(db, id).filter((t) => t.model === 'flaky').map((t) => [t.passed, t.error ?? null])).toEqual([
        [true, null], [true, null], [false, null], [true, null], [false, null], [true, null],
      ]);
      expect(experimentResults(db, id)!.failedTrials).toEqual([]);
      expect(getExperiment(db, id)).toMatchObject({ status: 'completed', error: null });
    } finally {
      db.close();
    }
  });
});
