import { Worker } from 'node:worker_threads';
import { linearSimdModule } from './simd-support';
import { CONTROL_BLOCK_BYTES, OP, SLOT, WORKER_SOURCE, type SimdWorkerData } from './simd-worker';
import type { WasmMemory } from './wasm-api';

/** A call as a worker reads it from its control block; the rows themselves come from the chunk counter. */
export interface TeamJob {
  readonly op: number;
  readonly squash: number;
  readonly k: number;
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly pointer: number;
  readonly gradient: number;
  readonly chunk: number;
  /** Forward with the fused loss only (0 otherwise). */
  readonly labels: number;
  readonly dOut: number;
  readonly nSlots: number;
}

/** The pointers every job of a kernel shares, handed to each worker once. */
export type TeamConstants = Omit<SimdWorkerData, 'wasmModule' | 'memory' | 'block'>;

/** A worker that does not answer in this long is taken for dead: the call throws instead of hanging. */
const WORKER_TIMEOUT_MS = 60_000;
/** Polls of the done slot before sleeping on it: the slices are even, so the wait is usually short. */
const SPIN_POLLS = 20_000;

let liveWorkers = 0;
/** Workers of all SIMD kernels that have not exited yet (for tests: dispose must end them). */
export function liveSimdWorkers(): number {
  return liveWorkers;
}

/**
 * The workers of one SIMD kernel, driven through control blocks in its shared memory: block t
 * (t = 1..size) belongs to worker t (block 0, the calling thread's, holds the chunk counter). A job is published with an
 * atomic add on the worker's generation slot and finished when the worker stores that generation in its
 * done slot; the calling thread blocks in Atomics.wait meanwhile, so calls stay synchronous.
 */
export class WorkerTeam {
  readonly exited: Promise<void>;
  private readonly slots: Int32Array;
  private readonly workers: Worker[] = [];
  private ready = false;

  constructor(
    memory: WasmMemory,
    private readonly control: number,
    readonly size: number,
    constants: TeamConstants,
  ) {
    this.slots = new Int32Array(memory.buffer);
    const exits: Promise<void>[] = [];
    for (let t = 1; t <= size; t++) {
      const workerData: SimdWorkerData = { wasmModule: linearSimdModule(), memory, block: this.block(t), ...constants };
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      liveWorkers++;
      exits.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())).then(() => void liveWorkers--));
      // Idle workers sleep in Atomics.wait; unref'd, they never keep the process alive.
      worker.unref();
      this.workers.push(worker);
    }
    this.exited = Promise.all(exits).then(() => undefined);
  }

  /** Wakes worker t on the job and returns the generation to finish() on. */
  start(t: number, job: TeamJob): number {
    if (!this.ready) this.awaitReady();
    const slots = this.slots, b = this.block(t);
    slots[b + SLOT.op] = job.op;
    slots[b + SLOT.squash] = job.squash;
    slots[b + SLOT.k] = job.k;
    slots[b + SLOT.rangeStart] = job.rangeStart;
    slots[b + SLOT.rangeEnd] = job.rangeEnd;
    slots[b + SLOT.pointer] = job.pointer;
    slots[b + SLOT.gradient] = job.gradient;
    slots[b + SLOT.chunk] = job.chunk;
    slots[b + SLOT.labels] = job.labels;
    slots[b + SLOT.dOut] = job.dOut;
    slots[b + SLOT.nSlots] = job.nSlots;
    // The atomic add publishes the plain stores above to the worker that sees the new generation.
    const generation = Atomics.add(slots, b + SLOT.generation, 1) + 1;
    // A worker still polling sees the new generation by itself (see WORKER_SOURCE's loop).
    if (Atomics.load(slots, b + SLOT.sleeping) !== 0) Atomics.notify(slots, b + SLOT.generation);
    return generation;
  }

  /** Blocks until worker t has finished the job of that generation and returns the rows it did; throws if it failed. */
  finish(t: number, generation: number): number {
    const slots = this.slots, at = this.block(t) + SLOT.done;
    for (let i = 0; i < SPIN_POLLS; i++) if (Atomics.load(slots, at) === generation) break;
    for (let seen = Atomics.load(slots, at); seen !== generation; seen = Atomics.load(slots, at)) {
      if (Atomics.wait(slots, at, seen, WORKER_TIMEOUT_MS) === 'timed-out') throw new Error(`SIMD kernel worker ${t} did not answer`);
    }
    if (slots[this.block(t) + SLOT.error] !== 0) throw new Error(`SIMD kernel worker ${t} failed`);
    return slots[this.block(t) + SLOT.rows];
  }

  /** Ends every worker: a stop job ends its loop so it exits by itself; terminate() is the backstop. */
  stop(): void {
    for (let t = 1; t <= this.size; t++) {
      Atomics.store(this.slots, this.block(t) + SLOT.op, OP.stop);
      Atomics.add(this.slots, this.block(t) + SLOT.generation, 1);
      Atomics.notify(this.slots, this.block(t) + SLOT.generation);
    }
    for (const worker of this.workers) void worker.terminate();
  }

  /** What a finalizer may call once the kernel is gone: terminates the workers without touching the team. */
  terminator(): () => void {
    const workers = [...this.workers];
    return () => workers.forEach((w) => void w.terminate());
  }

  /** Int32 index of thread t's control block. */
  private block(t: number): number {
    return (this.control + t * CONTROL_BLOCK_BYTES) / 4;
  }

  /** Workers start asynchronously; the first job waits until each has its instance. */
  private awaitReady(): void {
    for (let t = 1; t <= this.size; t++) {
      const at = this.block(t) + SLOT.ready;
      if (Atomics.load(this.slots, at) === 0 && Atomics.wait(this.slots, at, 0, WORKER_TIMEOUT_MS) === 'timed-out') {
        throw new Error(`SIMD kernel worker ${t} did not start`);
      }
      if (Atomics.load(this.slots, at) !== 1) throw new Error(`SIMD kernel worker ${t} could not instantiate the module`);
    }
    this.ready = true;
  }
}
