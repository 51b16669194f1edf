/**
 * PyTorch's side of the side-by-side benches (deep-cnn.ts, head-pipeline.ts): the Tutorial J anchor
 * script (../shared/anchors/pytorch_tutorial_j_body.py) run as a subprocess with /usr/bin/python3 when
 * that Python can import torch (Debian's python3-torch; CI does not install it), on Fashion-MNIST at 48×48,
 * batch 100, Adam 1e-3 — its body training, latent extraction and trained-CNN safety accuracy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const IDX_DIR = '/usr/share/datasets/fashion-mnist';
/** The benches run from the repository root (`npm run bench`), next to ../shared. */
const SCRIPT = join(process.cwd(), '..', 'shared', 'anchors', 'pytorch_tutorial_j_body.py');

export interface PytorchAnchor {
  readonly rows: number;
  readonly candidateRows: number;
  readonly epochs: number;
  readonly threads: number;
  /** Wall seconds of the whole script (imports, data, training, latents, saving). */
  readonly scriptSeconds: number;
  readonly trainSeconds: number;
  readonly latentSeconds: number;
  readonly safetyAccuracy: number;
  readonly loadAverageAtEnd: readonly number[];
}

export type AnchorOutcome = { readonly ran: true; readonly anchor: PytorchAnchor } | { readonly ran: false; readonly reason: string };

/** Why the anchor cannot run here, or undefined when it can. */
export function anchorUnavailable(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  if (!existsSync(SCRIPT)) return `the anchor script ${SCRIPT} is missing`;
  if (!existsSync(join(IDX_DIR, 'train-images-idx3-ubyte.gz'))) return `Fashion-MNIST is not in ${IDX_DIR} (Debian package dataset-fashion-mnist)`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import torch (install Debian's python3-torch): ${(probe.stderr.trim().split('\n').at(-1) ?? '').slice(0, 120)}`;
  return undefined;
}

/** Runs the anchor for `rows` rows (half candidate) and `epochs` epochs on `threads` threads. */
export function runPytorchAnchor(rows: number, epochs: number, threads = 2): AnchorOutcome {
  const reason = anchorUnavailable();
  if (reason !== undefined) return { ran: false, reason };
  const dir = mkdtempSync(join(tmpdir(), 'fairbound-bench-torch-'));
  try {
    process.stderr.write(`PyTorch anchor: ${rows} rows, ${epochs} epoch(s), ${threads} threads …\n`);
    const r = spawnSync(PYTHON, [SCRIPT, '--idx-dir', IDX_DIR, '--out', join(dir, 'anchor.npz'), '--n', String(rows), '--epochs', String(epochs), '--threads', String(threads)], {
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
      maxBuffer: 64 * 2 ** 20,
    });
    if (r.status !== 0) return { ran: false, reason: `the anchor script exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    const out = JSON.parse(last) as {
      n_candidate?: number;
      cnn_safety_accuracy: { all: number };
      loadavg_at_end: number[];
      timing_s: { script_total: number; cnn_train_total: number; latent_extraction: number };
    };
    return {
      ran: true,
      anchor: {
        rows,
        candidateRows: out.n_candidate ?? Math.floor(rows / 2),
        epochs,
        threads,
        scriptSeconds: out.timing_s.script_total,
        trainSeconds: out.timing_s.cnn_train_total,
        latentSeconds: out.timing_s.latent_extraction,
        safetyAccuracy: out.cnn_safety_accuracy.all,
        loadAverageAtEnd: out.loadavg_at_end,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
