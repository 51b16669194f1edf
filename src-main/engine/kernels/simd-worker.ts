import type { WasmMemory, WasmModule } from './wasm-api';

/**
 * The worker side of the SIMD kernel, as inline source for `new Worker(source, { eval: true })`: no
 * worker file to locate, so the kernel runs the same from source, the CLI bundle and electron-vite
 * bundles. Each worker instantiates the kernel module on the shared memory and then loops: sleep on its
 * generation slot (Atomics.wait), run the job its slots describe (claiming chunks of rows from the
 * shared counter, like the calling thread), publish the generation in its done slot (Atomics.notify).
 * Everything stays in the shared memory; no messages, so the calling thread can block synchronously.
 */

/** Int32 slots of one thread's 64-byte control block (one cache line, so threads never share one). */
export const SLOT = {
  generation: 0,
  done: 1,
  op: 2,
  rangeStart: 3,
  rangeEnd: 4,
  /** The whole range's logits (forward) or dz (backward). */
  pointer: 5,
  /** The first gradient slot (backward): chunk c adds into gradient + c·gradientStride. */
  gradient: 6,
  /** 0 while starting, 1 once instantiated, −1 if instantiation failed. */
  ready: 7,
  /** Nonzero when the last job threw. */
  error: 8,
  /**
   * Forward: 1 to write σ(logit) per row instead of the logit, 2 for σ and the logistic loss (K = 1 only).
   * Backward: 1 for the fused dz (K = 1 only).
   */
  squash: 9,
  /** Rows the worker did in its last job. */
  rows: 10,
  /** The job's K: the kernel's, or 1 for the two-class head's fused paths. */
  k: 11,
  /** Forward with the fused loss: the labels (by absolute row) and where the range's dProbs go. */
  labels: 12,
  dOut: 13,
  /** Rows a chunk: per job, since backward uses fewer, larger chunks than forward (fewer gradient slots to add up). */
  chunk: 14,
  /** Estimator slots of the fused passes (0 otherwise). */
  nSlots: 15,
  /** 1 while the worker sleeps in Atomics.wait: only then does a new job need an Atomics.notify. */
  sleeping: 16,
} as const;
/** Two cache lines of int32 slots a thread, so threads never share one. */
export const CONTROL_BLOCK_BYTES = 128;

/**
 * Polls of its generation slot a worker makes after a job before it sleeps: a QSA iteration's next job
 * comes within tens of microseconds (the caller's work between the passes is small), and waking a
 * sleeping thread costs about as much again, more on a loaded machine. About 0.1–0.3 ms of polling.
 */
export const WORKER_SPIN_POLLS = 30_000;

export const OP = { forward: 1, backward: 2, stop: 3 } as const;

/** What every worker gets once: the module, the memory and the call-invariant pointers. */
export interface SimdWorkerData {
  readonly wasmModule: WasmModule;
  readonly memory: WasmMemory;
  /** Int32 index of this worker's control block. */
  readonly block: number;
  readonly features: number;
  readonly dp: number;
  readonly thetaT: number;
  readonly bias: number;
  /** Byte address of the shared chunk counter. */
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
const { wasmModule, memory, block, features, dp, thetaT, bias, counter, lossSums, gradientStride, logits, estimators, rowsStride, shifts, coef, estimatorSums } = workerData;
const slots = new Int32Array(memory.buffer);
const at = (slot) => block + slot;
let kernel = null;
try {
  kernel = new WebAssembly.Instance(wasmModule, { env: { memory } }).exports;
  Atomics.store(slots, at(${SLOT.ready}), 1);
} catch {
  Atomics.store(slots, at(${SLOT.ready}), -1);
}
Atomics.notify(slots, at(${SLOT.ready}));
let seen = 0;
while (kernel !== null) {
  let generation = Atomics.load(slots, at(${SLOT.generation}));
  for (let i = 0; i < ${WORKER_SPIN_POLLS} && generation === seen; i++) generation = Atomics.load(slots, at(${SLOT.generation}));
  if (generation === seen) {
    // The flag goes up before the wait compares the generation: a job published after the caller read
    // the flag as 0 has already changed the generation, so the wait returns at once.
    Atomics.store(slots, at(${SLOT.sleeping}), 1);
    Atomics.wait(slots, at(${SLOT.generation}), seen);
    Atomics.store(slots, at(${SLOT.sleeping}), 0);
  }
  seen = Atomics.load(slots, at(${SLOT.generation}));
  const op = slots[at(${SLOT.op})];
  if (op === ${OP.stop}) break;
  try {
    const start = slots[at(${SLOT.rangeStart})], end = slots[at(${SLOT.rangeEnd})], pointer = slots[at(${SLOT.pointer})], k = slots[at(${SLOT.k})];
    const chunk = slots[at(${SLOT.chunk})], squash = slots[at(${SLOT.squash})], nSlots = slots[at(${SLOT.nSlots})];
    slots[at(${SLOT.rows})] = op === ${OP.forward}
      ? kernel.forward(features, dp, k, thetaT, bias, start, end, pointer, squash, counter, chunk, slots[at(${SLOT.labels})], slots[at(${SLOT.dOut})], lossSums, estimators, rowsStride, nSlots, shifts, estimatorSums)
      : kernel.backward(features, dp, k, pointer, start, end, slots[at(${SLOT.gradient})], counter, chunk, gradientStride, squash, logits, estimators, rowsStride, nSlots, coef);
    slots[at(${SLOT.error})] = 0;
  } catch {
    slots[at(${SLOT.error})] = 1;
  }
  Atomics.store(slots, at(${SLOT.done}), seen);
  Atomics.notify(slots, at(${SLOT.done}));
}
`;
