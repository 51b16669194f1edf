import type { WasmMemory, WasmModule } from './wasm-api';

/**
 * The worker side of the SIMD kernel, as inline source for `new Worker(source, { eval: true })`: no
 * worker file to locate, so the kernel runs the same from source, the CLI bundle and electron-vite
 * bundles. Each worker instantiates the kernel module on the shared memory and then loops: poll, then
 * sleep (Atomics.wait), on the job sequence number in the job block; read the job the block describes;
 * claim chunks of its rows from the shared counter like the calling thread does. Everything stays in the
 * shared memory; no messages, so the calling thread can block synchronously.
 *
 * A job is done when all its chunks are, whoever did them: the calling thread never waits for a worker
 * that has not woken up or was descheduled (on a loaded machine it does the chunks itself), only for
 * chunks in progress. The counter carries the job's sequence number, and a chunk is claimed by a
 * compare-and-swap that checks it (see claim() in simd/linear.ts); the caller closes the counter
 * (number 0) before it writes the next job's parameters. So a worker that wakes late, even one that
 * reads a mix of two jobs' parameters, can never claim a chunk with parameters that are not its job's.
 */

/**
 * Int32 slots of the job block (control block 0): the counter is an i64 at byte 0 (low word the next
 * chunk, high word the job's sequence number), then the chunks done and the job's parameters.
 */
export const JOB = {
  /** The counter's high word: the sequence number workers wait on. */
  seq: 1,
  /** Chunks finished in the current job. */
  done: 2,
  /** 1 while the calling thread sleeps waiting for chunks in progress. */
  callerSleeping: 3,
  op: 4,
  rangeStart: 5,
  rangeEnd: 6,
  /** The whole range's logits (forward) or dz (backward). */
  pointer: 7,
  /** The first gradient slot (backward): chunk c adds into gradient + c·gradientStride. */
  gradient: 8,
  /**
   * Forward: 1 to write σ(logit) per row instead of the logit, 2 for σ and the logistic loss (K = 1 only).
   * Backward: 1 for the fused dz (K = 1 only).
   */
  squash: 9,
  /** The job's K: the kernel's, or 1 for the two-class head's fused paths. */
  k: 10,
  /** Forward with the fused loss: the labels (by absolute row) and where the range's dProbs go. */
  labels: 11,
  dOut: 12,
  /** Rows a chunk: per job, since backward uses fewer, larger chunks than forward (fewer gradient slots to add up). */
  chunk: 13,
  /** Estimator slots of the fused passes (0 otherwise). */
  nSlots: 14,
} as const;

/** Int32 slots of worker t's control block t. */
export const SLOT = {
  /** 0 while starting, 1 once instantiated, −1 if instantiation failed. */
  ready: 0,
  /** 1 while the worker sleeps in Atomics.wait: only then does a new job need an Atomics.notify. */
  sleeping: 1,
  /** Nonzero once a job threw in this worker. */
  error: 2,
  /** Rows this worker has done over all jobs. */
  rows: 3,
} as const;
/** Two cache lines a block, so threads never write to the same one. */
export const CONTROL_BLOCK_BYTES = 128;

/**
 * Polls of the sequence number a worker makes after a job before it sleeps: a QSA iteration's next job
 * comes within tens of microseconds (the caller's work between the passes is small), and waking a
 * sleeping thread costs about as much again, more on a loaded machine. About 0.1–0.3 ms of polling.
 */
export const WORKER_SPIN_POLLS = 30_000;

export const OP = { forward: 1, backward: 2, stop: 3 } as const;

/** What every worker gets once: the module, the memory and the call-invariant pointers. */
export interface SimdWorkerData {
  readonly wasmModule: WasmModule;
  readonly memory: WasmMemory;
  /** Int32 index of this worker's control block, and of the job block. */
  readonly block: number;
  readonly job: number;
  readonly features: number;
  readonly dp: number;
  readonly thetaT: number;
  readonly bias: number;
  /** Byte address of the shared chunk counter (the job block's first 8 bytes). */
  readonly counter: number;
  /** Where the fused loss's per-chunk sums go, and the bytes between gradient slots. */
  readonly lossSums: number;
  readonly gradientStride: number;
  /** The fused passes' regions (see SimdLayout). */
  readonly logits: number;
  readonly estimators: number;
  readonly rowsStride: number;
  readonly shifts: number;
  readonly coef: number;
  readonly estimatorSums: number;
}

export const WORKER_SOURCE = `'use strict';
const { workerData } = require('node:worker_threads');
const { wasmModule, memory, block, job, features, dp, thetaT, bias, counter, lossSums, gradientStride, logits, estimators, rowsStride, shifts, coef, estimatorSums } = workerData;
const slots = new Int32Array(memory.buffer);
const own = (slot) => block + slot;
const at = (slot) => job + slot;
let kernel = null;
try {
  kernel = new WebAssembly.Instance(wasmModule, { env: { memory } }).exports;
  Atomics.store(slots, own(${SLOT.ready}), 1);
} catch {
  Atomics.store(slots, own(${SLOT.ready}), -1);
}
let seen = Atomics.load(slots, at(${JOB.seq}));
while (kernel !== null) {
  let seq = Atomics.load(slots, at(${JOB.seq}));
  for (let i = 0; i < ${WORKER_SPIN_POLLS} && seq === seen; i++) seq = Atomics.load(slots, at(${JOB.seq}));
  if (seq === seen) {
    // The flag goes up before the wait compares the sequence number: a job published after the caller
    // read the flag as 0 has already changed it, so the wait returns at once.
    Atomics.store(slots, own(${SLOT.sleeping}), 1);
    Atomics.wait(slots, at(${JOB.seq}), seen);
    Atomics.store(slots, own(${SLOT.sleeping}), 0);
    continue;
  }
  seen = seq;
  // A negative number is a job the caller runs alone (too few rows to share), 0 a closed counter while
  // the caller writes the next job: neither is for the workers.
  if (seq <= 0) continue;
  // Read after the sequence number (an atomic load), so these are that job's parameters, or a later
  // job's, whose chunks the sequence number in every claim then keeps this worker out of.
  const op = slots[at(${JOB.op})];
  if (op === ${OP.stop}) break;
  try {
    const start = slots[at(${JOB.rangeStart})], end = slots[at(${JOB.rangeEnd})], pointer = slots[at(${JOB.pointer})], k = slots[at(${JOB.k})];
    const chunk = slots[at(${JOB.chunk})], squash = slots[at(${JOB.squash})], nSlots = slots[at(${JOB.nSlots})];
    const rows = op === ${OP.forward}
      ? kernel.forward(features, dp, k, thetaT, bias, start, end, pointer, squash, counter, chunk, slots[at(${JOB.labels})], slots[at(${JOB.dOut})], lossSums, estimators, rowsStride, nSlots, shifts, estimatorSums, seq)
      : op === ${OP.backward}
        ? kernel.backward(features, dp, k, pointer, start, end, slots[at(${JOB.gradient})], counter, chunk, gradientStride, squash, logits, estimators, rowsStride, nSlots, coef, seq)
        : 0;
    Atomics.store(slots, own(${SLOT.rows}), slots[own(${SLOT.rows})] + rows);
  } catch {
    Atomics.store(slots, own(${SLOT.error}), 1);
  }
  // This worker may have finished the last chunk while the caller sleeps on the count.
  if (Atomics.load(slots, at(${JOB.callerSleeping})) !== 0) Atomics.notify(slots, at(${JOB.done}));
}
`;
