/**
 * A training run's live state as the New run page shows it, and how a batch of `run.event`s changes it
 * (pure, so it is unit-tested). Series are replaced, never mutated in place: the store holds the state
 * in a shallowRef and each frame's batch makes one new state, so a frame re-renders once.
 */
import type { RunEventDto, RunStatus } from '../../../src-shared/contract';

export interface BatchPoint {
  /** Epochs done, fractional ((epoch + (batch + 1) / batchesPerEpoch), both 0-based): the x of the body-training chart. */
  readonly x: number;
  readonly loss: number;
  readonly accuracy: number;
}

export interface IterationPoint {
  readonly iteration: number;
  readonly f: number;
  readonly g: readonly number[];
  readonly lambda: readonly number[];
  /** The Lagrangian f + Σ λ_i ĝ_i. */
  readonly lagrangian: number;
}

export interface LiveRun {
  readonly jobId: string;
  readonly runId: number;
  readonly status: RunStatus;
  readonly phase: string | null;
  readonly backend: string | null;
  readonly batches: readonly BatchPoint[];
  readonly lastBatch: Extract<RunEventDto, { type: 'batch' }> | null;
  readonly iterations: readonly IterationPoint[];
  readonly iterationTotal: number | null;
  readonly etaSeconds: number | null;
  readonly latents: { readonly done: number; readonly total: number } | null;
  readonly error: string | null;
  readonly finished: boolean;
}

export function newLiveRun(jobId: string, runId: number): LiveRun {
  return { jobId, runId, status: 'queued', phase: null, backend: null, batches: [], lastBatch: null, iterations: [], iterationTotal: null, etaSeconds: null, latents: null, error: null, finished: false };
}

export function lagrangian(f: number, g: readonly number[], lambda: readonly number[]): number {
  return g.reduce((sum, gi, i) => sum + (lambda[i] ?? 0) * gi, f);
}

/** Applies the events of one run in order; events of another run (e.g. a late one of the previous run) are ignored. */
export function applyRunEvents(state: LiveRun, events: readonly { readonly runId: number; readonly event: RunEventDto }[]): LiveRun {
  const mine = events.filter((e) => e.runId === state.runId);
  if (mine.length === 0) return state;
  let next: LiveRun = state;
  const batches: BatchPoint[] = [];
  const iterations: IterationPoint[] = [];
  for (const { event: e } of mine) {
    switch (e.type) {
      case 'status':
        if (!next.finished) next = { ...next, status: e.status };
        break;
      case 'phase':
        next = { ...next, phase: e.phase, status: next.finished ? next.status : 'running', ...(e.backend ? { backend: e.backend } : {}), etaSeconds: null };
        break;
      case 'batch':
        batches.push({ x: e.epoch + (e.batch + 1) / Math.max(1, e.batchesPerEpoch), loss: e.loss, accuracy: e.accuracy });
        next = { ...next, lastBatch: e, etaSeconds: e.etaSeconds };
        break;
      case 'latents':
        next = { ...next, latents: { done: e.done, total: e.total } };
        break;
      case 'iteration':
        iterations.push({ iteration: e.iteration, f: e.f, g: e.g, lambda: e.lambda, lagrangian: lagrangian(e.f, e.g, e.lambda) });
        next = { ...next, iterationTotal: e.total, etaSeconds: e.etaSeconds };
        break;
      case 'finished':
        next = { ...next, status: e.status, error: e.error, finished: true, etaSeconds: null };
        break;
    }
  }
  if (batches.length > 0) next = { ...next, batches: [...state.batches, ...batches] };
  if (iterations.length > 0) next = { ...next, iterations: [...state.iterations, ...iterations] };
  return next;
}

/** "about 12 s left" / "about 3 min left", or ''. */
export function etaText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `about ${s} s left` : `about ${Math.round(s / 60)} min left`;
}
