/**
 * Invariant under test: the kernel a trial's QSA ran on (TrialResult.kernel) survives the store (schema 6):
 * trials read back carry what went in, trials without one (baselines) read back without one, and
 * `fairbound experiment show` says per QSA model which kernels its trials ran on, in text and JSON.
 * Style 13: a real temporary database; trials written with insertTrial as the runner writes them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { importSeldonian } from '../../src-main/data/importers';
import { createExperiment } from '../../src-main/experiments/runner';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import type { TrialResult } from '../../src-main/experiments/types';
import { openWorkspace } from '../../src-main/store/database';
import { insertTrial, listTrials } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-exp-kernel-');

function trial(model: string, trialIndex: number, kernel: TrialResult['kernel'], backend?: TrialResult['backend']): TrialResult {
  return {
    model,
    fractionIndex: 0,
    fraction: 1,
    trialIndex,
    nRows: 100,
    passed: true,
    performance: 0.75,
    g: [-0.1],
    theta: null,
    nsfReason: null,
    durationSeconds: 0.5,
    ...(kernel ? { kernel } : {}),
    ...(backend ? { backend } : {}),
  };
}

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: () => undefined });
  return { code, stdout };
}

describe('the kernel of each trial in the store', () => {
  it('keeps what computed a deep trial (schema 11) and experiment show counts it per model', async () => {
    const dir = tempDir();
    const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 100, seed: 5 }));
    writeFileSync(join(dir, 'data.csv'), files.csv);
    writeFileSync(join(dir, 'metadata.json'), files.metadata);
    const dbPath = join(dir, 'w.db');
    const db = openWorkspace(dbPath);
    let id: number;
    try {
      const { dataset } = await importSeldonian(db, { csv: join(dir, 'data.csv'), metadata: join(dir, 'metadata.json'), name: 'two' });
      // The store does not look at the model's type: a features model stands in for qsa-head here.
      id = createExperiment(db, {
        datasetId: dataset.id,
        constraints: [{ source: 'ACC >= 0.5', delta: 0.1 }],
        fractions: [1],
        nTrials: 3,
        models: [{ name: 'qsa-features', type: 'qsa-features', params: {} }],
        seed: 1,
      });
      const written = [trial('qsa-features', 0, undefined, 'webgpu'), trial('qsa-features', 1, undefined, 'onnxruntime'), trial('qsa-features', 2, undefined, 'webgpu')];
      for (const t of written) insertTrial(db, id, t);
      expect(listTrials(db, id).map((t) => t.backend)).toEqual(['webgpu', 'onnxruntime', 'webgpu']);
    } finally {
      db.close();
    }
    const text = await cli(['experiment', 'show', String(id), '--db', dbPath]);
    expect(text.stdout).toContain('qsa-features computed on: webgpu (2 trials), onnxruntime (1 trial)');
    const json = await cli(['experiment', 'show', String(id), '--db', dbPath, '--json']);
    expect((JSON.parse(json.stdout) as { backends: unknown }).backends).toEqual([
      { model: 'qsa-features', backends: [{ backend: 'webgpu', trials: 2 }, { backend: 'onnxruntime', trials: 1 }] },
    ]);
  });

  it('round-trips through insertTrial / listTrials and shows in experiment show (text and JSON)', async () => {
    const dir = tempDir();
    const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 100, seed: 5 }));
    writeFileSync(join(dir, 'data.csv'), files.csv);
    writeFileSync(join(dir, 'metadata.json'), files.metadata);
    const dbPath = join(dir, 'w.db');
    const db = openWorkspace(dbPath);
    let id: number;
    try {
      const { dataset } = await importSeldonian(db, { csv: join(dir, 'data.csv'), metadata: join(dir, 'metadata.json'), name: 'two' });
      id = createExperiment(db, {
        datasetId: dataset.id,
        constraints: [{ source: 'ACC >= 0.5', delta: 0.1 }],
        fractions: [1],
        nTrials: 4,
        models: [
          { name: 'qsa-features', type: 'qsa-features', params: {} },
          { name: 'uniform-random', type: 'uniform-random', params: {} },
        ],
        seed: 1,
      });
      const written = [
        trial('qsa-features', 0, { name: 'simd', threads: 2 }),
        trial('qsa-features', 1, { name: 'simd', threads: 2 }),
        trial('qsa-features', 2, { name: 'js', threads: 1 }),
        trial('qsa-features', 3, { name: 'simd', threads: 1 }),
        trial('uniform-random', 0, undefined),
      ];
      for (const t of written) insertTrial(db, id, t);
      const read = listTrials(db, id);
      expect(read.map((t) => [t.model, t.trialIndex, t.kernel])).toEqual(written.map((t) => [t.model, t.trialIndex, t.kernel]));
      expect('kernel' in read.find((t) => t.model === 'uniform-random')!).toBe(false);
    } finally {
      db.close();
    }

    const text = await cli(['experiment', 'show', String(id), '--db', dbPath]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('qsa-features QSA kernel: SIMD ×2 threads (2 trials), SIMD ×1 thread (1 trial), JS (1 trial)');
    // Baselines run no QSA: no kernel line for them.
    expect(text.stdout).not.toContain('uniform-random QSA kernel');

    const json = await cli(['experiment', 'show', String(id), '--db', dbPath, '--json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { kernels: unknown }).kernels).toEqual([
      {
        model: 'qsa-features',
        kernels: [
          { name: 'simd', threads: 2, trials: 2 },
          { name: 'simd', threads: 1, trials: 1 },
          { name: 'js', threads: 1, trials: 1 },
        ],
        unrecorded: 0,
      },
    ]);
  });
});
