/**
 * audit.run with a model source (issue 8): a saved tiny TF.js model and a stored run's model, through the
 * services as the app calls them, give the same bounds as `fairbound audit --model / --run` on the same
 * inputs; a bad model path is a readable input error naming the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { saveModel } from '../../src-main/deep/export';
import { bandImages } from '../support/band-images';
import { trainClassifier } from '../../src-main/deep/train';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { createServices } from '../../src-main/services';
import { openWorkspace } from '../../src-main/store/database';
import { cliAudit as cliAuditIn, sameAudit, type CliAudit, type ServiceAudit } from '../support/audit-compare';
import { BANDS_RATIO, runTinyHeadRun, TINY_AUDIT_CNN as TINY } from '../support/tiny-run';

const RATIO = BANDS_RATIO;

let dir: string, dbPath: string, modelJson: string, runId: number;

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'fairbound-audit-sources-'));
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  try {
    insertSyntheticImageDataset(db, { name: 'bands', n: 200, size: 16, numClasses: 2, seed: 3 });
    const model = buildModel(TINY, { numClasses: 2, seed: 1, inputShape: [16, 16, 1] });
    const train = bandImages({ n: 200, height: 16, width: 16, numClasses: 2, seed: 99 });
    await trainClassifier(model, train.images, train.labels, { start: 0, end: 200 }, { epochs: 1, batchSize: 50, learningRate: 0.01, seed: 0, shuffle: false });
    await saveModel(model, join(dir, 'model'));
    modelJson = join(dir, 'model', 'model.json');
    model.dispose();
    const tiny = await runTinyHeadRun(db);
    runId = tiny.runId;
    expect(['passed', 'nsf']).toContain(tiny.status);
  } finally {
    db.close();
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cliAudit(...args: string[]): Promise<CliAudit> {
  return cliAuditIn(['--dataset', 'bands', '--constraint', RATIO, '--constraint', 'ACC >= 0.6', '--delta', '0.05', '--backend', 'wasm', '--bound', 'student-t', ...args, '--db', dbPath]);
}

const same = sameAudit;

const BASE = {
  datasetId: 1,
  constraints: [
    { source: RATIO, delta: 0.05 },
    { source: 'ACC >= 0.6', delta: 0.05 },
  ],
  mode: { kind: 'hard', threshold: 0.5 },
  bound: 'student-t',
} as const;

describe('audit.run with a model or a run as the source', () => {
  it('a TF.js model gives the CLI --model bounds; a run gives the CLI --run bounds; a bad path names the file', async () => {
    const services = createServices({ dbPath, runtime: 'electron', electronVersion: '41.0.0' });
    try {
      for (const rows of ['all', 'safety'] as const) {
        const reply = await services.invoke('audit.run', {
          ...BASE,
          source: { kind: 'model', path: modelJson, backend: 'wasm' },
          rows: rows === 'all' ? { kind: 'all' } : { kind: 'safety', fracSafety: 0.5 },
        });
        expect(reply.ok, JSON.stringify(reply)).toBe(true);
        const value = (reply as { value: ServiceAudit }).value;
        expect(value.source).toBe(`model ${modelJson}`);
        same(value, await cliAudit('--model', modelJson, '--rows', rows));
      }

      const run = await services.invoke('audit.run', { ...BASE, source: { kind: 'run', id: runId }, rows: { kind: 'safety', fracSafety: 0.5 } });
      expect(run.ok, JSON.stringify(run)).toBe(true);
      const runValue = (run as { value: ServiceAudit }).value;
      expect(runValue.rows).toMatchObject({ which: 'safety', ofRun: runId });
      expect(runValue.source).toBe(`run ${runId}'s seldonian model`);
      same(runValue, await cliAudit('--run', String(runId), '--rows', 'safety'));

      const candidate = await services.invoke('audit.run', { ...BASE, source: { kind: 'run', id: runId, which: 'candidate' }, rows: { kind: 'all' } });
      expect(candidate.ok, JSON.stringify(candidate)).toBe(true);
      // Every row of the run's own dataset, asked for on purpose: they include the rows that trained it.
      same((candidate as { value: ServiceAudit }).value, await cliAudit('--run', String(runId), '--which', 'candidate', '--rows', 'all'));
      expect((candidate as { value: { guarantee: string } }).value.guarantee).toBe('none-trained-rows');

      const missing = join(dir, 'nowhere', 'model.json');
      const bad = await services.invoke('audit.run', { ...BASE, source: { kind: 'model', path: missing }, rows: { kind: 'all' } });
      expect(bad).toMatchObject({ ok: false, error: { code: 'input', file: missing } });
      expect((bad as { error: { message: string } }).error.message).toContain(missing);

      const noRun = await services.invoke('audit.run', { ...BASE, source: { kind: 'run', id: 999 }, rows: { kind: 'all' } });
      expect(noRun).toMatchObject({ ok: false, error: { code: 'input' } });
    } finally {
      await services.close();
    }
  }, 120_000);
});
