/**
 * The run page's next steps behind the contract: `runs.export` writes a finished run's model (TF.js or ONNX) or its
 * head QSA as a Seldonian case (in the deep worker: the model export loads TensorFlow.js), and
 * `reports.write` a run's or experiment's HTML report (and PDF), as `fairbound run export-*` and
 * `fairbound report` do. Existing files are refused as `conflict` before any work unless overwrite is set.
 * `runs.overview` and `runs.advice` feed the runs list's columns and the No Solution Found banner's advice;
 * `experiments.exportPlots` writes an experiment's plots as SVG or PNG files.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { refuseExisting, writeFileSafely } from '../data/safe-write';
import { ServiceError } from '../errors/reported-error';
import { ONNX_MODEL_FILE, type RunExportRequest } from '../runs/export-types';
import { reportHtml } from '../report/report';
import { runAdvice } from '../audit/run-advice';
import { experimentResults, experimentSvgs } from '../experiments/results';
import { getRunConstraints } from '../store/run-results';
import { getRun, listRuns } from '../store/runs';
import type { Handler } from './context';
import { writeReportFiles } from './report-files';

/** The files each artifact writes (the exporters' own names), checked before the worker starts. */
const ARTIFACT_FILES: Readonly<Record<RunExportRequest['artifact'], readonly string[]>> = {
  'tfjs-model': ['model.json', 'weights.bin'],
  'onnx-model': [ONNX_MODEL_FILE],
  'latents-case': ['data.csv.gz', 'metadata.json', 'theta_init.json', 'spec.json'],
};

export const runExportHandler: Handler<'runs.export'> = async (input, ctx) => {
  const run = getRun(ctx.db, input.runId);
  if (!run) throw new ServiceError('not_found', `no run with id ${input.runId} (deleted?)`);
  const overwrite = input.overwrite ?? false;
  refuseExisting(ARTIFACT_FILES[input.artifact].map((name) => join(input.outDir, name)), { overwrite });
  const request: RunExportRequest =
    input.artifact === 'latents-case'
      ? { artifact: 'latents-case', runId: input.runId, outDir: input.outDir, overwrite }
      : { artifact: input.artifact, runId: input.runId, outDir: input.outDir, which: input.which ?? 'seldonian', overwrite };
  return { files: await ctx.deepWorker().exportRun(ctx.dbPath, request) };
};

export const reportWriteHandler: Handler<'reports.write'> = async (input, ctx) => {
  const { out, pdf } = input;
  const overwrite = input.overwrite ?? false;
  refuseExisting(pdf === undefined ? [out] : [out, pdf], { overwrite });
  const html = reportHtml(ctx.db, input.target);
  return writeReportFiles(html, out, pdf, { overwrite, createFolder: true });
};

export const reportHtmlHandler: Handler<'reports.html'> = (input, ctx) => ({ html: reportHtml(ctx.db, input.target) });

export const runsOverviewHandler: Handler<'runs.overview'> = (_input, ctx) =>
  listRuns(ctx.db)
    .reverse()
    .map((run) => {
      const all = run.result?.groupAccuracy?.groups.find((g) => g.group === 'all');
      const accuracy = run.result?.groupAccuracy && all ? { value: all.accuracy, threshold: run.result.groupAccuracy.threshold, of: run.result.groupAccuracy.of } : null;
      const total = run.timings.total;
      return { runId: run.id, accuracy, upperBounds: getRunConstraints(ctx.db, run.id).map((c) => c.upperBound), seconds: total !== undefined && Number.isFinite(total) ? total : null };
    });

export const runAdviceHandler: Handler<'runs.advice'> = (input, ctx) => {
  const run = getRun(ctx.db, input.runId);
  if (!run) throw new ServiceError('not_found', `no run with id ${input.runId} (deleted?)`);
  return { runId: run.id, constraints: runAdvice(ctx.db, run).map((a) => ({ ...a, smallestGroup: a.smallestGroup && { ...a.smallestGroup }, rowsNeeded: a.rowsNeeded && { ...a.rowsNeeded } })) };
};

export const experimentPlotsHandler: Handler<'experiments.exportPlots'> = async (input, ctx) => {
  const results = experimentResults(ctx.db, input.experimentId);
  if (!results) throw new ServiceError('not_found', `no experiment with id ${input.experimentId} (deleted?)`);
  const overwrite = input.overwrite ?? false;
  const plots = experimentSvgs(results).map((p) => ({ ...p, path: join(input.folder, input.format === 'svg' ? p.file : p.file.replace(/\.svg$/, '.png')) }));
  refuseExisting(plots.map((p) => p.path), { overwrite });
  mkdirSync(input.folder, { recursive: true });
  if (input.format === 'svg') {
    for (const p of plots) writeFileSafely(p.path, p.svg, { overwrite });
    return { files: plots.map((p) => p.path) };
  }
  const { ChromiumMissingError, screenshotPng } = await import('../report/pdf');
  try {
    for (const p of plots) await screenshotPng(`<!doctype html><html><body style="margin:0;background:#fff">${p.svg}</body></html>`, p.path, { overwrite });
  } catch (error) {
    if (error instanceof ChromiumMissingError) throw new ServiceError('not_available', error.message);
    throw error;
  }
  return { files: plots.map((p) => p.path) };
};
