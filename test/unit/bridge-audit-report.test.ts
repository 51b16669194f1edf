/**
 * audit.report: the audit as audit.run runs it, written as a self-contained HTML report through the
 * services as the app calls them; an output folder that does not exist is a readable error naming the path.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { createServices } from '../../src-main/services';
import { openWorkspace } from '../../src-main/store/database';
import { chromiumAvailable } from '../support/chromium';

let dir: string, dbPath: string, predictions: string, datasetId: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-audit-report-'));
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  try {
    datasetId = insertSyntheticImageDataset(db, { name: 'bands', n: 120, size: 4, numClasses: 2, seed: 3 }).id;
  } finally {
    db.close();
  }
  predictions = join(dir, 'predictions.csv');
  writeFileSync(predictions, ['p', ...Array.from({ length: 120 }, (_, i) => String(((i * 37) % 100) / 100))].join('\n') + '\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input = () => ({
  datasetId,
  source: { kind: 'predictions' as const, path: predictions, matching: { kind: 'order' as const } },
  constraints: [{ source: 'abs((PR | [A]) - (PR | [B])) <= 0.9', delta: 0.05 }],
  mode: { kind: 'hard' as const, threshold: 0.5 },
  bound: 'student-t' as const,
  rows: { kind: 'all' as const },
});

describe('audit.report', () => {
  it('writes the HTML report with the verdict and SVG charts; a bad folder is a readable error with the path', async () => {
    const services = createServices({ dbPath, runtime: 'electron', electronVersion: '41.0.0' });
    try {
      const run = await services.invoke('audit.run', input());
      expect(run.ok, JSON.stringify(run)).toBe(true);
      const verdict = (run as { value: { constraints: Array<{ verdict: string }> } }).value.constraints[0]!.verdict;

      const out = join(dir, 'report.html');
      const reply = await services.invoke('audit.report', { ...input(), out });
      expect(reply, JSON.stringify(reply)).toEqual({ ok: true, value: { html: out, pdf: null } });
      const html = readFileSync(out, 'utf8');
      expect(html).toContain(verdict.toUpperCase());
      expect(html).toContain('<svg');
      expect(html).toContain('bands');

      const missing = join(dir, 'no-such-folder', 'report.html');
      const bad = await services.invoke('audit.report', { ...input(), out: missing });
      expect(bad).toMatchObject({ ok: false, error: { code: 'input', file: missing } });
      expect((bad as { error: { message: string } }).error.message).toContain(missing);
      expect((bad as { error: { message: string } }).error.message).toMatch(/folder does not exist/);
      expect(existsSync(missing)).toBe(false);
    } finally {
      await services.close();
    }
  }, 60_000);

  it('without Chromium, the PDF part is not_available after the HTML is written', async () => {
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = join(dir, 'no-chromium');
    const services = createServices({ dbPath, runtime: 'electron', electronVersion: '41.0.0' });
    try {
      const out = join(dir, 'with-pdf.html');
      const reply = await services.invoke('audit.report', { ...input(), out, pdf: join(dir, 'with-pdf.pdf') });
      expect(reply).toMatchObject({ ok: false, error: { code: 'not_available' } });
      expect((reply as { error: { message: string } }).error.message).toContain(out);
      expect(readFileSync(out, 'utf8')).toContain('<svg');
    } finally {
      await services.close();
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  }, 60_000);

  it.skipIf(!chromiumAvailable())('prints the PDF through Chromium beside the HTML', async () => {
    const services = createServices({ dbPath, runtime: 'electron', electronVersion: '41.0.0' });
    try {
      const out = join(dir, 'printed.html');
      const pdf = join(dir, 'printed.pdf');
      const reply = await services.invoke('audit.report', { ...input(), out, pdf });
      expect(reply, JSON.stringify(reply)).toEqual({ ok: true, value: { html: out, pdf } });
      expect(readFileSync(pdf).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    } finally {
      await services.close();
    }
  }, 60_000);
});
