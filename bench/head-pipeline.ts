/**
 * Tutorial J's head pipeline end to end on real Fashion-MNIST, timed per phase and compared with the
 * PyTorch anchor figures: the 60,000 training images imported with brightness groups and the binary
 * classes 0,2,4,6 (24,000 rows), the first --rows of them (default 23,700) resized to 48×48 in the run,
 * split in half, the CNN trained on the 11,850 candidate rows, latents for every row, 1200 QSA iterations
 * on the head and the safety test, wasm backend.
 *
 *   npx esbuild bench/head-pipeline.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=out/bench/head-pipeline.mjs && node out/bench/head-pipeline.mjs [--rows 23700] [--epochs 1]
 *     [--iterations 1200] [--backend wasm] [--keep]
 *
 * Anchors (PyTorch on the reference machine): 10 epochs over 11,850 rows in 102 s ≈ 1,170 training
 * images/s; latents for 23,700 rows in 8 s (2,960 images/s); 39–62 ms per iteration of the head QSA.
 * With fewer --rows or epochs the per-image rates are extrapolated to the anchors' sizes (said so).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../src-main/cli/main';
import { BACKEND_PREFERENCES, type BackendPreference } from '../src-main/deep/backend-types';
import { executeRun } from '../src-main/runs/pipeline';
import { prepareRun } from '../src-main/runs/prepare';
import { openWorkspace } from '../src-main/store/database';
import { getRun, insertRun } from '../src-main/store/runs';

const DIR = '/usr/share/datasets/fashion-mnist';
const IMAGES = join(DIR, 'train-images-idx3-ubyte.gz');
const LABELS = join(DIR, 'train-labels-idx1-ubyte.gz');
const RATIO = 'min((ACC | [light])/(ACC | [dark]),(ACC | [dark])/(ACC | [light])) >= 0.8';

const ANCHOR = {
  trainImagesPerSecond: (10 * 11_850) / 102,
  latentRows: 23_700,
  latentSeconds: 8,
  msPerIterationLow: 39,
  msPerIterationHigh: 62,
} as const;

function fmt(v: number, digits = 1): string {
  return v.toFixed(digits);
}

function row(label: string, value: string): string {
  return `${label.padEnd(40)}${value}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '23700' },
      epochs: { type: 'string', default: '1' },
      iterations: { type: 'string', default: '1200' },
      backend: { type: 'string', default: 'wasm' },
      keep: { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows);
  const epochs = Number(values.epochs);
  const iterations = Number(values.iterations);
  const backend = values.backend as BackendPreference;
  if (!Number.isSafeInteger(rows) || rows < 2 || rows > 24_000) throw new Error(`--rows must be an integer in 2..24000, got ${values.rows}`);
  if (!Number.isSafeInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${values.epochs}`);
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new Error(`--iterations must be a positive integer, got ${values.iterations}`);
  if (!BACKEND_PREFERENCES.includes(backend)) throw new Error(`--backend must be one of ${BACKEND_PREFERENCES.join(', ')}`);
  if (!existsSync(IMAGES) || !existsSync(LABELS)) throw new Error(`Fashion-MNIST training files not found in ${DIR} (Debian package dataset-fashion-mnist)`);

  const dir = mkdtempSync(join(tmpdir(), 'fairbound-bench-head-'));
  const dbPath = join(dir, 'bench.db');
  try {
    const t0 = performance.now();
    const errors: string[] = [];
    const code = await runCli(
      ['import', 'idx', '--images', IMAGES, '--labels', LABELS, '--brightness', '--binary-classes', '0,2,4,6', '--name', 'fm', '--quiet', '--db', dbPath],
      { stdout: () => undefined, stderr: (t) => void errors.push(t) },
    );
    const importSeconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`import failed (${code}): ${errors.join('\n')}`);

    const db = openWorkspace(dbPath);
    try {
      const prepared = prepareRun(db, {
        dataset: 'fm',
        constraints: [{ source: RATIO, delta: 0.05 }],
        pipeline: 'head',
        architecture: 'tutorial-j-cnn',
        rows,
        resize: 48,
        epochs,
        iterations,
        backend,
        seed: 0,
      });
      const runId = insertRun(db, prepared.run);
      let lastLog = 0;
      // CPU seconds of this process per phase: less sensitive than wall time to other processes on the machine.
      const cpuAt: Record<string, number> = {};
      const cpuSeconds = (): number => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1e6;
      };
      const outcome = await executeRun(db, runId, {
        onEvent: (e) => {
          const now = performance.now();
          if (e.type === 'phase') cpuAt[e.phase] = cpuSeconds();
          if (e.type === 'finished') cpuAt.finished = cpuSeconds();
          if (e.type === 'phase') process.stderr.write(`phase ${e.phase}${e.backend ? ` (${e.backend})` : ''}\n`);
          else if (e.type === 'batch' && now - lastLog > 5000) {
            lastLog = now;
            process.stderr.write(`  epoch ${e.epoch + 1}/${e.epochs} batch ${e.batch + 1}/${e.batchesPerEpoch} ${Math.round(e.imagesPerSecond)} images/s\n`);
          } else if (e.type === 'iteration' && now - lastLog > 5000) {
            lastLog = now;
            process.stderr.write(`  iteration ${e.iteration + 1}/${e.total}\n`);
          }
        },
      });
      const run = getRun(db, runId)!;
      if (outcome.status !== 'passed' && outcome.status !== 'nsf') throw new Error(`run ${outcome.status}: ${outcome.error ?? ''}`);
      const t = run.timings;
      const r = run.result!;
      const nCandidate = run.nCandidate;
      const epochSeconds = (r.bodyTraining ?? []).map((e) => e.seconds);
      const trainSeconds = epochSeconds.reduce((a, b) => a + b, 0);
      const trainRate = (nCandidate * epochSeconds.length) / trainSeconds;
      const latentRate = rows / t.latents;
      const iters = r.candidateSelection.iterationsRun;
      const msPerIteration = (t.candidate_selection * 1000) / iters;
      const cpu = (from: string, to: string): number => (cpuAt[to] ?? Number.NaN) - (cpuAt[from] ?? Number.NaN);
      const trainCpu = cpu('training', 'latents');
      const latentCpu = cpu('latents', 'candidate_selection');
      const selectionCpu = cpu('candidate_selection', 'safety_test');
      const scaled = rows !== 23_700 || epochs !== 10 || nCandidate !== 11_850;
      const lines = [
        `Tutorial J head pipeline on Fashion-MNIST (train split, classes 0,2,4,6 → binary, brightness groups), ${rows} rows → ${nCandidate} candidate / ${run.nSafety} safety, 48×48, backend ${run.backend?.name ?? '?'} (${run.backend?.package ?? ''} ${run.backend?.version ?? ''})`,
        `verdict: ${run.status}; candidate selection ${iters}/${r.candidateSelection.iterationsPlanned} iterations`,
        '',
        row('import (60,000 images → 24,000 rows)', `${fmt(importSeconds)} s`),
        row('loading + resize to 48×48', `${fmt(t.loading ?? Number.NaN, 2)} s`),
        ...epochSeconds.map((s, i) => row(`body training epoch ${i + 1}/${epochSeconds.length}`, `${fmt(s)} s  (${fmt(nCandidate / s, 0)} images/s)`)),
        row(`latent extraction (${rows} rows)`, `${fmt(t.latents, 1)} s  (${fmt(latentRate, 0)} images/s)`),
        row('candidate selection', `${fmt(t.candidate_selection, 1)} s  (${fmt(msPerIteration, 2)} ms/iteration over ${nCandidate} rows)`),
        row('safety test', `${fmt(t.safety_test * 1000, 1)} ms`),
        row('run total', `${fmt(t.total, 1)} s`),
        `CPU time of this process (wall time above includes waiting for other processes; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores at the end):`,
        row('  body training', `${fmt(trainCpu)} s  (${fmt((nCandidate * epochs) / trainCpu, 0)} images/s per CPU second)`),
        row('  latent extraction', `${fmt(latentCpu)} s  (${fmt(rows / latentCpu, 0)} images/s per CPU second)`),
        row('  candidate selection', `${fmt(selectionCpu)} s  (${fmt((selectionCpu * 1000) / iters, 2)} CPU ms/iteration)`),
        '',
        'against the PyTorch anchors (ratio > 1: Fairbound is faster):',
        `  body training: ${fmt(trainRate, 0)} vs ${fmt(ANCHOR.trainImagesPerSecond, 0)} images/s → ×${fmt(trainRate / ANCHOR.trainImagesPerSecond, 3)}; ` +
          `10 epochs over 11,850 rows would take ${fmt((10 * 11_850) / trainRate, 0)} s (anchor 102 s)`,
        `  latents: ${fmt(latentRate, 0)} vs ${fmt(ANCHOR.latentRows / ANCHOR.latentSeconds, 0)} images/s → ×${fmt(latentRate / (ANCHOR.latentRows / ANCHOR.latentSeconds), 3)}; ` +
          `23,700 rows would take ${fmt(ANCHOR.latentRows / latentRate, 1)} s (anchor 8 s)`,
        `  candidate selection: ${fmt(msPerIteration, 2)} ms/iteration vs ${ANCHOR.msPerIterationLow}–${ANCHOR.msPerIterationHigh} ms → ×${fmt(ANCHOR.msPerIterationLow / msPerIteration, 2)}–${fmt(ANCHOR.msPerIterationHigh / msPerIteration, 2)}`,
      ];
      if (scaled) {
        const parts: string[] = [];
        if (epochs !== 10 || nCandidate !== 11_850) parts.push(`body training measured over ${epochs} epoch(s) × ${nCandidate} candidate rows, scaled linearly to the anchor's 10 epochs × 11,850 rows`);
        if (rows !== 23_700) parts.push(`latents measured for ${rows} rows, scaled linearly to 23,700`);
        if (nCandidate !== 11_850) parts.push(`ms/iteration grows with the candidate rows, ${nCandidate} here vs the anchor's 11,850 (not scaled)`);
        lines.push(`  (extrapolated: ${parts.join('; ')})`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    } finally {
      db.close();
    }
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`workspace kept in ${dbPath}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`head-pipeline bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
