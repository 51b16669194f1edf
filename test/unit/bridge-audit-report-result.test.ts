/**
 * Invariant under test (issue 7: the UI never waits on a long request without progress): audit.report
 * given a finished audit job's result writes the same report as audit.report running the audit itself
 * (same verdicts, bounds, base-node intervals and group table), and runs no inference for it — the
 * training worker's predictAudit is not called. A result that does not match the contract is refused.
 *
 * Called through `createServices` on a temporary database with the real training worker.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeepWorkerQueue } from '../../src-main/jobs/worker-queue/deep-worker-queue';
import { writeDenseModel } from '../support/dense-model';
import { useTempDir } from '../support/images';
import { bandsWorkspace, terminal, until, value, withServices } from '../support/services';
import { BANDS_RATIO } from '../support/tiny-run';

const tempDir = useTempDir('fairbound-audit-report-result-');

afterEach(() => vi.restoreAllMocks());

/**
 * The report without what differs between two writes of the same audit: the footer's generation time and
 * the chart renderer's instance number in the SVGs' CSS class names (zr0-cls-0, zr2-cls-6).
 */
function withoutFooter(html: string): string {
  return html.replace(/<footer>[\s\S]*?<\/footer>/, '').replace(/\bzr\d+-cls-\d+/g, 'zr-cls');
}

describe('audit.report from a finished audit job’s result', () => {
  it('writes the report of the old path without running inference again', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 600, seed: 9 });
    const modelJson = writeDenseModel(join(dir, 'model'), [16, 16, 1], 2);
    const predictAudit = vi.spyOn(DeepWorkerQueue.prototype, 'predictAudit');
    await withServices({ dbPath, jobs: { progressIntervalMs: 0 } }, async (services, seen) => {
      const input = {
        datasetId,
        source: { kind: 'model', path: modelJson, backend: 'wasm' },
        constraints: [
          { source: BANDS_RATIO, delta: 0.05 },
          { source: 'ACC >= 0.6', delta: 0.05 },
        ],
        mode: { kind: 'hard', threshold: 0.5 },
        bound: 'student-t',
        rows: { kind: 'safety', fracSafety: 0.4 },
        intersections: [['A']],
      };
      const { jobId } = (await value(services, 'audit.start', input)) as { jobId: string };
      const end = await until(terminal(seen, jobId), 90_000);
      expect(end.event, JSON.stringify(end.payload)).toBe('job.done');
      expect(predictAudit).toHaveBeenCalledTimes(1);
      // Wire form, as the renderer holds and sends it.
      const result = (end.payload as { result: { result: { sourceKind: string; constraints: unknown[] } } }).result.result;
      expect(result.sourceKind).toBe('model');

      const fromResult = join(dir, 'from-result.html');
      const reply = await value(services, 'audit.report', { result, out: fromResult });
      expect(reply).toEqual({ html: fromResult, pdf: null });
      // No inference for the report: the worker was asked once, by the job.
      expect(predictAudit).toHaveBeenCalledTimes(1);

      const rerun = join(dir, 'rerun.html');
      expect(await value(services, 'audit.report', { ...input, out: rerun })).toEqual({ html: rerun, pdf: null });
      expect(predictAudit).toHaveBeenCalledTimes(2);

      const a = readFileSync(fromResult, 'utf8');
      const b = readFileSync(rerun, 'utf8');
      // Both reports are full ones (verdicts, the charts, the group table), and identical.
      expect(a).toContain('<svg');
      expect(a).toContain('Rates per group');
      expect(a).toMatch(/HOLDS|VIOLATED|INCONCLUSIVE/);
      // The group table has the requested extra group: 'A' as a column and again as the intersection.
      expect(a.slice(a.indexOf('Rates per group')).match(/<tr><td>A<\/td>/g)).toHaveLength(2);
      expect(withoutFooter(a)).toBe(withoutFooter(b));

      // A result that is not an audit result (here without its constraints) is a bad request, nothing is written.
      const { constraints: _dropped, ...broken } = result;
      const bad = await services.invoke('audit.report', { result: broken, out: join(dir, 'bad.html') });
      expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(predictAudit).toHaveBeenCalledTimes(2);
    });
  }, 120_000);
});
