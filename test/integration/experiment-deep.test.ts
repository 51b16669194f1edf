// The deep-learning experiment models on a small generated image dataset: qsa-head (Tutorial
// J's body/head pipeline per trial) and the cnn baseline produce trials with the right columns, the body
// of qsa-head never sees a safety row, and the CLI runs them next to a plain baseline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { selectBackend } from '../../src-main/deep/backends';
import { trainClassifier } from '../../src-main/deep/train';
import { candidateSafetySplit } from '../../src-main/engine/qsa';
import { chooseArchitecture, cnnModelType, defaultBatchEpochs, parseEpochsPerFraction, qsaHeadModelType, registerDeepExperimentModels } from '../../src-main/experiments/models/deep';
import { compileExperimentConstraints } from '../../src-main/experiments/constraints';
import { experimentDataset } from '../../src-main/experiments/trial-dataset';
import { experimentResults } from '../../src-main/experiments/results';
import { DEFAULT_QSA_SETTINGS, type ExperimentSettings } from '../../src-main/experiments/types';
import { TrialExecutor } from '../../src-main/experiments/trial-executor';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { listTrials } from '../../src-main/store/experiments';

const CONSTRAINT = 'ACC >= 0.4';

let dir: string, dbPath: string, db: WritableDB;
beforeAll(async () => {
  await selectBackend('wasm');
  registerDeepExperimentModels();
  dir = mkdtempSync(join(tmpdir(), 'fairbound-exp-deep-'));
  dbPath = join(dir, 'w.db');
  db = openWorkspace(dbPath);
  insertSyntheticImageDataset(db, { name: 'bands', n: 200, size: 16, numClasses: 2, seed: 3 });
  insertSyntheticImageDataset(db, { name: 'faces', n: 120, size: 48, numClasses: 3, seed: 4 });
});
afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('batch and epochs per fraction', () => {
  it("follows Tutorial J's make_batch_epoch_dict_min_sample_repeat", () => {
    expect(defaultBatchEpochs(1, 10000)).toEqual({ batchSize: 100, epochs: 4 });
    expect(defaultBatchEpochs(0.01, 10000)).toEqual({ batchSize: 100, epochs: 25 });
    expect(defaultBatchEpochs(0.1, 1000)).toEqual({ batchSize: 100, epochs: 25 });
    expect(defaultBatchEpochs(0.5, 1000)).toEqual({ batchSize: 100, epochs: 5 });
    expect(parseEpochsPerFraction('0.001:24x50, 0.5:100x4')).toEqual({ '0.001': { batchSize: 24, epochs: 50 }, '0.5': { batchSize: 100, epochs: 4 } });
    expect(() => parseEpochsPerFraction('0.5:100')).toThrow(/φ:BATCHxEPOCHS/);
  });

  it('picks the body by image size unless one is named', () => {
    expect(chooseArchitecture(48, 48, null)).toEqual({ name: 'tutorial-j-cnn', inputShape: [48, 48] });
    expect(chooseArchitecture(96, 96, null)).toEqual({ name: 'tutorial-j-cnn', inputShape: [48, 48] });
    expect(chooseArchitecture(28, 28, null)).toEqual({ name: 'tutorial-g-cnn', inputShape: [28, 28] });
    expect(chooseArchitecture(16, 16, 'tutorial-j-cnn')).toEqual({ name: 'tutorial-j-cnn', inputShape: [48, 48] });
    expect(qsaHeadModelType().spec('tutorial-g-cnn')).toEqual({ name: 'qsa-head-tutorial-g', type: 'qsa-head', params: { architecture: 'tutorial-g-cnn' } });
    expect(() => cnnModelType().spec('resnet')).toThrow(RangeError);
  });
});

describe('qsa-head and cnn trials', () => {
  it('trains the body on candidate rows only, and scores both models on every row', async () => {
    const data = loadDatasetForTraining(db, 1);
    const dataset = experimentDataset(data, false);
    const constraints = compileExperimentConstraints([{ source: CONSTRAINT, delta: 0.1 }], data);
    const trained: Int32Array[] = [];
    const hooks = {
      train: (...args: Parameters<typeof trainClassifier>) => {
        trained.push(Int32Array.from(args[3] as Int32Array));
        return trainClassifier(...args);
      },
    };
    const head = qsaHeadModelType(hooks);
    const cnn = cnnModelType(hooks);
    const qsa = { ...DEFAULT_QSA_SETTINGS, iterations: 30 };
    const settings: ExperimentSettings = {
      fractions: [1],
      nTrials: 1,
      models: [
        { ...head.spec(undefined), params: { batchEpochs: { '1': { batchSize: 50, epochs: 1 } } }, kind: 'seldonian' },
        { ...cnn.spec(undefined), params: { batchEpochs: { '1': { batchSize: 50, epochs: 1 } } }, kind: 'baseline' },
      ],
      performance: 'accuracy',
      threshold: 0.5,
      qsa,
    };
    // The hooked types run directly (the registry holds the plain ones, which the executor uses below).
    const model = head.create({ dataset, constraints, settings, spec: settings.models[0] });
    const rows = Int32Array.from({ length: 160 }, (_, i) => (i * 7) % 200);
    const fit = await model.fit({ rows, fraction: 1, fractionIndex: 0, trialIndex: 0, seed: 5 });
    // Every trial starts from the same initial weights (kept by value): a second fit of the same trial
    // after another trial's training gives the very same model.
    await model.fit({ rows: rows.slice().reverse(), fraction: 1, fractionIndex: 0, trialIndex: 1, seed: 9 });
    const again = await model.fit({ rows, fraction: 1, fractionIndex: 0, trialIndex: 0, seed: 5 });
    model.dispose?.();
    expect(fit.kind).toBe('solution');
    expect(again.kind).toBe(fit.kind);
    if (fit.kind === 'solution' && again.kind === 'solution') expect(Array.from(again.predictor.predict())).toEqual(Array.from(fit.predictor.predict()));
    trained.splice(1, 2);
    const nCandidate = candidateSafetySplit(rows.length, qsa.fracSafety).candidate.end;
    expect(trained).toHaveLength(1);
    expect(Array.from(trained[0])).toEqual(Array.from(rows.subarray(0, nCandidate)));
    // No dataset row that is only in the safety part was trained on.
    const candidate = new Set(rows.subarray(0, nCandidate));
    const safetyOnly = Array.from(rows.subarray(nCandidate)).filter((r) => !candidate.has(r));
    expect(safetyOnly.length).toBeGreaterThan(0);
    expect(trained[0].some((r) => safetyOnly.includes(r))).toBe(false);
    if (fit.kind === 'solution') {
      const probs = fit.predictor.predict();
      expect(probs).toHaveLength(200);
      expect(probs.every((p) => p >= 0 && p <= 1)).toBe(true);
    }

    const cnnModel = cnn.create({ dataset, constraints, settings, spec: settings.models[1] });
    const cnnFit = await cnnModel.fit({ rows, fraction: 1, fractionIndex: 0, trialIndex: 0, seed: 5 });
    cnnModel.dispose?.();
    expect(Array.from(trained[1])).toEqual(Array.from(rows));
    expect(cnnFit.kind).toBe('solution');

    // Through the executor (registered types): the trial columns.
    const executor = new TrialExecutor({ dataset, constraints, settings, seed: 11 });
    for (const m of ['qsa-head', 'cnn']) {
      const result = await executor.run({ model: m, fractionIndex: 0, fraction: 1, trialIndex: 0, rows });
      expect(result.g).toHaveLength(1);
      expect(result.nRows).toBe(160);
      if (result.passed) {
        expect(result.performance).toBeGreaterThanOrEqual(0);
        expect(result.performance).toBeLessThanOrEqual(1);
      } else expect(result.g[0]).toBe(-Infinity);
    }
    executor.dispose();
  }, 60_000);

  it('runs from the CLI next to a baseline', async () => {
    const run = await cli(
      'experiment', 'run', '--dataset', 'bands', '--constraint', CONSTRAINT, '--delta', '0.1', '--fractions', '0.5,1', '--trials', '1',
      '--models', 'qsa-head,cnn,uniform-random', '--iterations', '20', '--epochs-per-fraction', '0.5:50x1,1:50x1', '--seed', '3',
      '--workers', '1', '--quiet', '--db', dbPath, '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const id = (JSON.parse(run.stdout) as { experiment: { id: number } }).experiment.id;
    const trials = listTrials(db, id);
    expect(trials).toHaveLength(6);
    expect(new Set(trials.map((t) => t.model))).toEqual(new Set(['qsa-head', 'cnn', 'uniform-random']));
    for (const t of trials) expect(t.g).toHaveLength(1);
    const results = experimentResults(db, id)!;
    expect(results.experiment.settings.models.find((m) => m.name === 'qsa-head')!.params).toMatchObject({ batchEpochs: { '1': { batchSize: 50, epochs: 1 } } });
  }, 60_000);

  it('runs full-model QSA (Tutorials G/H) on mini-batches of the trial rows', async () => {
    const run = await cli(
      'experiment', 'run', '--dataset', 'bands', '--constraint', CONSTRAINT, '--delta', '0.1', '--fractions', '1', '--trials', '1',
      '--models', 'qsa-full,uniform-random', '--epochs-per-fraction', '1:40x1', '--seed', '6', '--workers', '1', '--backend', 'wasm', '--quiet', '--db', dbPath, '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const id = (JSON.parse(run.stdout) as { experiment: { id: number } }).experiment.id;
    const full = listTrials(db, id).find((t) => t.model === 'qsa-full')!;
    expect(full).toBeDefined();
    expect(full.g).toHaveLength(1);
    // On wasm, ONNX Runtime computed the QSA's predictions and gradients.
    if (full.passed) expect(full.backend).toBe('onnxruntime');
    if (full.passed) {
      // θ is every trainable weight of the CNN.
      expect(full.theta!.length).toBeGreaterThan(1000);
      expect(full.performance).toBeGreaterThanOrEqual(0);
    } else expect(full.g[0]).toBe(-Infinity);
  }, 60_000);

  it("uses Tutorial J's CNN on 48×48 images, with a softmax head for three classes", async () => {
    const run = await cli(
      'experiment', 'run', '--dataset', 'faces', '--constraint', 'ACC >= 0.3', '--delta', '0.1', '--fractions', '1', '--trials', '1',
      '--models', 'qsa-head,cnn', '--iterations', '20', '--epochs-per-fraction', '1:60x1', '--seed', '4', '--quiet', '--db', dbPath, '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const id = (JSON.parse(run.stdout) as { experiment: { id: number } }).experiment.id;
    const trials = listTrials(db, id);
    expect(trials.map((t) => t.model).sort()).toEqual(['cnn', 'qsa-head']);
    const head = trials.find((t) => t.model === 'qsa-head')!;
    // θ of the softmax head over Tutorial J's 256-d latents: (256 + 1) × 3.
    if (head.passed) expect(head.theta).toHaveLength(257 * 3);
  }, 60_000);
});
