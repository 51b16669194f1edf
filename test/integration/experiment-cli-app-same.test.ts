/**
 * One use-case starts an experiment from either face (src-main/services/experiment-start.ts): the same
 * experiment started by `fairbound experiment run` and by the `experiments.start` route, with the same
 * seed, stores the same settings and the same trial results once ids, timestamps, durations and the
 * kernel's thread count are set aside. A different seed must show (the comparison can fail). Both use
 * the first 1,000 of the dataset's 1,500 rows (--rows / rows): the resamples, every trial's rows and the
 * ground truth its performance is scored on are those 1,000 rows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { experimentReportHtml } from '../../src-main/report/report';
import { getExperiment, getResample, listTrials } from '../../src-main/store/experiments';
import { openWorkspace } from '../../src-main/store/database';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';
import { terminal, until, value, withServices } from '../support/services';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';

const tempDir = useTempDir('fairbound-experiment-same-');
const CONSTRAINT = 'abs((PR | [M]) - (PR | [F])) <= 0.2';
const ROWS = 1000;

/** What two starts of the same experiment must share: its definition, settings and trial outcomes. */
function stored(dbPath: string, experimentId: number): unknown {
  const db = openWorkspace(dbPath);
  try {
    const e = getExperiment(db, experimentId);
    if (!e) throw new Error(`no experiment ${experimentId}`);
    const trials = listTrials(db, experimentId).map(({ durationSeconds: _d, finishedAt: _f, kernel: _k, ...rest }) => rest);
    return { name: e.name, datasetId: e.datasetId, nRows: e.nRows, seed: e.seed, status: e.status, constraints: e.constraints, settings: e.settings, trials };
  } finally {
    db.close();
  }
}

describe('experiment run (CLI) and experiments.start (app)', () => {
  it('store the same settings and trials for the same seed', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'w.db');
    const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 1500, seed: 5 }));
    writeFileSync(join(dir, 'data.csv'), files.csv);
    writeFileSync(join(dir, 'meta.json'), files.metadata);
    const imported = await cli('import', 'seldonian', '--csv', join(dir, 'data.csv'), '--metadata', join(dir, 'meta.json'), '--name', 'two', '--db', dbPath, '--quiet');
    expect(imported.code, imported.stderr).toBe(0);

    const run = await cli(
      'experiment', 'run', '--dataset', 'two', '--constraint', CONSTRAINT, '--delta', '0.1', '--fractions', '0.3,1', '--trials', '3',
      '--models', 'qsa-features,logistic,weighted-random:0.7', '--iterations', '80', '--alpha-theta', '0.05', '--alpha-lambda', '0.02',
      '--lambda-init', '0.3', '--theta-init', 'logistic', '--bound', 'hoeffding', '--threshold', '0.4', '--performance', 'probabilistic-accuracy',
      '--seed', '11', '--workers', '1', '--name', 'same', '--rows', String(ROWS), '--db', dbPath, '--quiet', '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const cliId = (JSON.parse(run.stdout) as { experiment: { id: number } }).experiment.id;
    // The flags are checked by the route's own schema: what experiments.start refuses, the CLI refuses (exit 2, naming the flag).
    const base = ['experiment', 'run', '--dataset', 'two', '--constraint', CONSTRAINT, '--fractions', '1', '--db', dbPath];
    for (const [flag, bad] of [['--seed', '4294967296'], ['--workers', '65'], ['--trials', '10001'], ['--rows', '0'], ['--rows', '1501']] as const) {
      const refused = await cli(...base, ...(flag === '--trials' ? [] : ['--trials', '1']), flag, bad);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toContain(`${flag}: `);
    }

    const input = {
      name: 'same',
      datasetId: 1,
      rows: ROWS,
      constraints: [{ source: CONSTRAINT, delta: 0.1 }],
      fractions: [0.3, 1],
      nTrials: 3,
      models: ['qsa-features', 'logistic', 'weighted-random:0.7'],
      iterations: 80,
      alphaTheta: 0.05,
      alphaLambda: 0.02,
      lambdaInit: 0.3,
      thetaInit: 'logistic',
      boundMethod: 'hoeffding',
      threshold: 0.4,
      performance: 'probabilistic-accuracy',
      workers: 1,
    };
    const appIds: number[] = [];
    await withServices({ dbPath }, async (services, seen) => {
      // Rows the dataset does not have: refused before anything is stored, naming the field.
      const refused = await services.invoke('experiments.start', { ...input, rows: 1501, seed: 1 });
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.error).toMatchObject({ code: 'input', key: 'rows', message: expect.stringContaining('rows is 1501') });
      for (const seed of [11, 12]) {
        const { jobId, experimentId } = (await value(services, 'experiments.start', { ...input, seed })) as { jobId: string; experimentId: number };
        expect((await until(terminal(seen, jobId), 60_000)).event).toBe('job.done');
        appIds.push(experimentId);
      }
    });

    const fromCli = stored(dbPath, cliId);
    expect(fromCli).toMatchObject({ status: 'completed', seed: 11, nRows: ROWS, settings: { rows: ROWS, threshold: 0.4, qsa: { boundMethod: 'hoeffding', thetaInit: 'logistic', lambdaInit: 0.3 } } });
    expect((fromCli as { trials: unknown[] }).trials).toHaveLength(18);
    expect(stored(dbPath, appIds[0])).toEqual(fromCli);
    const trials = (fromCli as { trials: { model: string; fraction: number; nRows: number; performance: number }[] }).trials;
    expect(new Set(trials.map((t) => `${t.fraction}:${t.nRows}`))).toEqual(new Set([`0.3:${0.3 * ROWS}`, `1:${ROWS}`]));
    const db = openWorkspace(dbPath);
    try {
      // Each resample draws from the first ROWS rows only.
      const resample = getResample(db, cliId, 0)!;
      expect(resample).toHaveLength(ROWS);
      expect(Math.max(...resample)).toBeLessThan(ROWS);
      // weighted-random:0.7 scored on the ground truth: probabilistic accuracy 0.7·ȳ + 0.3·(1 − ȳ) over the first ROWS labels, not all 1,500.
      const labels = loadDatasetForTraining(db, 1).labels;
      const mean = (n: number): number => labels.subarray(0, n).reduce((a, b) => a + b, 0) / n;
      const expected = (n: number): number => 0.7 * mean(n) + 0.3 * (1 - mean(n));
      expect(expected(ROWS)).not.toBeCloseTo(expected(1500), 6);
      for (const t of trials.filter((x) => x.model === 'weighted-random')) expect(t.performance).toBeCloseTo(expected(ROWS), 10);
      // The report says which rows the experiment used.
      const html = experimentReportHtml(db, cliId);
      expect(html).toContain(`the dataset&#39;s first ${ROWS} rows (of its stored order)`);
      expect(html).toContain(`the first ${ROWS} of the dataset&#39;s stored order`);
    } finally {
      db.close();
    }
    expect(stored(dbPath, appIds[1])).not.toEqual(fromCli);
  }, 120_000);
});
