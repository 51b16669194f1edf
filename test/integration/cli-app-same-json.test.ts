/**
 * Every face runs the same use-cases: the same audit and the same training run, once through `fairbound …
 * --json` (in this process) and once through the services as the app calls them, give the same JSON once
 * ids, timestamps and durations are set aside. A different δ or seed must show (the comparison can fail).
 * An import is one use-case too (importDataset): `fairbound import` and the `datasets.import` route store
 * the same dataset for the same request.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { bandsWorkspace, terminal, until, value, withServices } from '../support/services';
import { useTempDir, writeCsv } from '../support/images';
import { BANDS_RATIO } from '../support/tiny-run';

const tempDir = useTempDir('fairbound-cli-app-same-json-');

/** Keys that differ between two identical runs: ids, wall-clock times and durations. */
const VOLATILE = new Set(['id', 'createdAt', 'startedAt', 'finishedAt', 'timings', 'seconds']);

/** The JSON without its volatile keys, at any depth. */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([key]) => !VOLATILE.has(key)).map(([key, item]) => [key, stable(item)]));
  }
  return value;
}

async function cliJson(...args: string[]): Promise<unknown> {
  const r = await cli(...args, '--json', '--quiet');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

/** A deterministic predictions file: P(y=1) for every row of the dataset, in its stored order. */
function predictionsCsv(dir: string, nRows: number): string {
  const path = join(dir, 'predictions.csv');
  const probs = Array.from({ length: nRows }, (_, i) => ((i * 37) % 100) / 100 + 0.005);
  writeFileSync(path, `p\n${probs.join('\n')}\n`);
  return path;
}

describe('the CLI and the app give the same JSON', () => {
  it('for an audit of a predictions file', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 120, seed: 3 });
    const csv = predictionsCsv(dir, 120);
    const constraints = [
      { source: BANDS_RATIO, delta: 0.05 },
      { source: 'ACC >= 0.4', delta: 0.1 },
    ];
    let fromApp: unknown;
    await withServices({ dbPath }, async (services) => {
      fromApp = await value(services, 'audit.run', {
        datasetId,
        source: { kind: 'predictions', path: csv, matching: { kind: 'order' } },
        constraints,
        mode: { kind: 'hard', threshold: 0.5 },
        bound: 'student-t',
        rows: { kind: 'safety', fracSafety: 0.4 },
        intersections: [['A']],
      });
    });
    const audit = (deltas: readonly number[]) =>
      cliJson('audit', '--dataset', 'bands', '--predictions', csv, '--by-order', ...constraints.flatMap((c, i) => ['--constraint', c.source, '--delta', String(deltas[i])]), '--rows', 'safety', '--frac-safety', '0.4', '--intersection', 'A', '--bound', 'student-t', '--db', dbPath);
    expect(stable(await audit([0.05, 0.1]))).toEqual(stable(fromApp));
    expect(stable(await audit([0.05, 0.2]))).not.toEqual(stable(fromApp));
  }, 60_000);

  it('for a head training run, and for the audit of its model', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 80, seed: 4 });
    const settings = { epochs: 1, batchSize: 20, iterations: 30, resize: 48, backend: 'wasm', seed: 5 } as const;
    let fromApp: unknown;
    let appAudit: unknown;
    let appDefaultAudit: unknown;
    let appRunId = 0;
    await withServices({ dbPath }, async (services, seen) => {
      const { jobId, runId } = (await value(services, 'runs.start', { dataset: datasetId, constraints: [{ source: BANDS_RATIO, delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-j-cnn', ...settings })) as { jobId: string; runId: number };
      expect((await until(terminal(seen, jobId), 100_000)).event).toBe('job.done');
      appRunId = runId;
      fromApp = await value(services, 'runs.get', { runId });
      appAudit = await value(services, 'audit.run', {
        datasetId,
        source: { kind: 'run', id: runId, which: 'trained' },
        constraints: [{ source: BANDS_RATIO, delta: 0.05 }],
        mode: { kind: 'soft' },
        bound: 'student-t',
        rows: { kind: 'safety', fracSafety: 0.5 },
      });
      // The defaults: the exact bound on the run's own safety rows.
      appDefaultAudit = await value(services, 'audit.run', {
        datasetId,
        source: { kind: 'run', id: runId, which: 'trained' },
        constraints: [{ source: BANDS_RATIO, delta: 0.05 }],
        mode: { kind: 'soft' },
      });
    });
    const train = (seed: number) =>
      cliJson('train', '--dataset', 'bands', '--constraint', BANDS_RATIO, '--delta', '0.05', '--pipeline', 'head', '--model', 'tutorial-j-cnn', '--epochs', '1', '--batch-size', '20', '--iterations', '30', '--resize', '48', '--backend', 'wasm', '--seed', String(seed), '--db', dbPath);
    expect(stable(await train(settings.seed))).toEqual(stable(fromApp));
    expect(stable(await train(settings.seed + 1))).not.toEqual(stable(fromApp));

    // The app's run audited by both faces: the model runs in the training worker there, in this process here.
    const cliAudit = await cliJson('audit', '--run', String(appRunId), '--which', 'trained', '--soft', '--rows', 'safety', '--bound', 'student-t', '--constraint', BANDS_RATIO, '--delta', '0.05', '--db', dbPath);
    expect(stable(cliAudit)).toEqual(stable(appAudit));
    const cliDefaultAudit = await cliJson('audit', '--run', String(appRunId), '--which', 'trained', '--soft', '--constraint', BANDS_RATIO, '--delta', '0.05', '--db', dbPath);
    expect(stable(cliDefaultAudit)).toEqual(stable(appDefaultAudit));
    // The 'trained' CNN learnt from the candidate rows only and no safety test chose it: its audit on the safety rows is independent.
    expect(appDefaultAudit).toMatchObject({ bound: 'exact', guarantee: 'independent', rows: { which: 'safety', ofRun: appRunId } });
  }, 240_000);

  it('for an import: the CLI flags and the datasets.import request store the same dataset', async () => {
    const dir = tempDir();
    const rows: (string | number)[][] = [['age', 'gender', 'race', 'label', 'pixels']];
    for (let i = 0; i < 24; i++) rows.push([20 + i, i % 2, i % 3, ['cat', 'dog', 'owl'][i % 3]!, [i, 2 * i, 3 * i, 255 - i].join(' ')]);
    const csv = writeCsv(join(dir, 'faces.csv'), rows);
    const request = {
      format: 'pixels',
      name: 'faces',
      csv,
      labelColumn: 'label',
      labels: { classes: ['cat', 'dog', 'owl'] },
      derive: [
        { column: 'gender', values: [{ value: '0', name: 'M' }, { value: '1', name: 'F' }] },
        { column: 'race', values: [{ value: '0', name: 'White' }, { value: '1', name: 'Black' }, { value: '2', name: 'Asian' }] },
      ],
      shuffleSeed: 11,
    };
    const appDb = join(dir, 'app.db');
    let fromApp: { summary: unknown; dataset: unknown } | undefined;
    await withServices({ dbPath: appDb }, async (services, seen) => {
      const { jobId } = (await value(services, 'datasets.import', request)) as { jobId: string };
      const end = await until(terminal(seen, jobId), 60_000);
      expect(end.event, JSON.stringify(end.payload)).toBe('job.done');
      const [dataset] = (await value(services, 'datasets.list', {})) as { id: number }[];
      fromApp = { summary: await value(services, 'datasets.summary', { datasetId: dataset!.id }), dataset };
    });
    const imported = (seed: number, cliDb: string) =>
      cliJson('import', 'pixels', '--csv', csv, '--label', 'label', '--classes', 'cat,dog,owl', '--derive', 'gender=M,F', '--derive', 'race=White,Black,Asian', '--shuffle-seed', String(seed), '--name', 'faces', '--db', cliDb) as Promise<{ summary: unknown }>;
    const fromCli = await imported(11, join(dir, 'cli.db'));
    expect(stable(fromCli.summary)).toEqual(stable(fromApp!.summary));
    // The dataset's record too: its format, files and options as given.
    const { datasets } = JSON.parse((await cli('datasets', '--json', '--db', join(dir, 'cli.db'))).stdout) as { datasets: unknown[] };
    expect(stable(datasets)).toEqual(stable([fromApp!.dataset]));
    expect(stable((await imported(12, join(dir, 'other.db'))).summary)).not.toEqual(stable(fromApp!.summary));
  }, 120_000);
});
