/**
 * The batch loop both trainers share (tfjs's train.ts and ONNX Runtime's onnx/train.ts): each epoch's
 * row order, a yield to the event loop and the cancel check before every batch, the loss check, per-batch
 * progress, the epoch summaries and the result. The trainer supplies one step per batch. No Node-only
 * APIs: tfjs's trainer also runs in a page.
 */
import { Xoshiro128 } from '../data/shuffle';
import { CancelledError } from './cancel';
import { deriveSeed } from './seeds';
import type { EpochSummary, TrainOptions, TrainResult } from './train';

/** Fisher–Yates on a copy, from the epoch's own stream of the seed. */
export function epochOrder(rows: Int32Array, seed: number, epoch: number): Int32Array {
  const order = Int32Array.from(rows);
  const rng = new Xoshiro128(deriveSeed(seed, epoch));
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.nextBelow(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Lets an abort (or anything else queued) run between batches; a batch itself is synchronous. Where there
 * is no setImmediate (a browser), setTimeout(0) is clamped to ≥ 4 ms once nested, so a MessageChannel task.
 */
const setImmediateIfAny = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
/** The DOM MessagePort members used below (Node's typings describe worker_threads' port instead). */
interface TaskPort {
  onmessage: (() => void) | null;
  postMessage(message: null): void;
  close(): void;
}
function yieldToEventLoop(): Promise<void> {
  if (setImmediateIfAny !== undefined) return new Promise((resolve) => setImmediateIfAny(resolve));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel() as unknown as { port1: TaskPort; port2: TaskPort };
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** One batch to train: rows order[from .. from+count). */
export interface BatchSlice {
  readonly order: Int32Array;
  readonly from: number;
  readonly count: number;
}

export interface StepOutcome {
  /** Mean loss over the batch. */
  readonly loss: number;
  /** Rows of the batch predicted right. */
  readonly correct: number;
  /** Keeps the step's update; called only once the loss is known to be finite. */
  readonly commit?: () => void;
}

/**
 * Runs `step` on every batch of every epoch over `selected` (options' epochs, batch size, seed, shuffle,
 * signal, onBatch). `where` names the trainer in the error on a non-finite loss.
 */
export async function runBatches(selected: Int32Array, options: TrainOptions, where: string, step: (slice: BatchSlice) => Promise<StepOutcome>): Promise<TrainResult> {
  const { epochs, batchSize, seed, signal, onBatch } = options;
  const batchesPerEpoch = Math.ceil(selected.length / batchSize);
  const summaries: EpochSummary[] = [];
  const started = performance.now();
  let batches = 0;
  let imagesSeen = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = options.shuffle === false ? selected : epochOrder(selected, seed, epoch);
    const epochStart = performance.now();
    let lossSum = 0;
    let correctSum = 0;
    let seen = 0;
    for (let batch = 0; batch < batchesPerEpoch; batch++) {
      await yieldToEventLoop();
      if (signal?.aborted) throw new CancelledError(`training cancelled at epoch ${epoch + 1}, batch ${batch + 1}`);
      const from = batch * batchSize;
      const count = Math.min(batchSize, order.length - from);
      const { loss, correct, commit } = await step({ order, from, count });
      if (!Number.isFinite(loss)) throw new Error(`${where}: the loss became ${loss} at epoch ${epoch + 1}, batch ${batch + 1} (learning rate too high?)`);
      commit?.();
      lossSum += loss * count;
      correctSum += correct;
      seen += count;
      imagesSeen += count;
      batches++;
      const seconds = (performance.now() - epochStart) / 1000;
      onBatch?.({ epoch, batch, batchesPerEpoch, loss, accuracy: correct / count, imagesPerSecond: seen / seconds });
    }
    const seconds = (performance.now() - epochStart) / 1000;
    summaries.push({ epoch, meanLoss: lossSum / seen, accuracy: correctSum / seen, seconds, imagesPerSecond: seen / seconds });
  }
  return { epochs: summaries, batches, images: imagesSeen, seconds: (performance.now() - started) / 1000 };
}
