import { Worker } from 'node:worker_threads';
import { linearSimdModule } from './simd-support';
import { CONTROL_BLOCK_BYTES, JOB, OP, SLOT, WORKER_SOURCE, type SimdWorkerData } from './simd-worker';
import type { WasmMemory } from './wasm-api';

/** A call as the job block describes it; the rows themselves come from the chunk counter. */
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
export type TeamConstants = Omit<SimdWorkerData, 'wasmModule' | 'memory' | 'block' | 'job'>;

/** Chunks in progress that do not finish in this long are taken for a dead worker: the call throws instead of hanging. */
const WORKER_TIMEOUT_MS = 60_000;
/** Polls of the chunk count before sleeping on it: what is left is chunks in progress, usually short. */
const SPIN_POLLS = 20_000;
/** While sleeping on the count the caller looks at the workers' error flags this often. */
const ERROR_CHECK_MS = 50;

let liveWorkers = 0;
/** Workers of all SIMD kernels that have not exited yet (for tests: dispose must end them). */
export function liveSimdWorkers(): number {
  return liveWorkers;
}

/**
 * The workers of one SIMD kernel, driven through control blocks in its shared memory: block 0 is the
 * job block (the chunk counter with the job's sequence number, the chunks done, the job's parameters),
 * block t (t = 1..size) worker t's own flags. publish() starts a job, the caller does chunks with the
 * module itself, then finish() blocks until every chunk is done, whichever thread did it; so calls stay
 * synchronous, and a worker that is slow to wake costs nothing (see simd-worker.ts).
 */
export class WorkerTeam {
  readonly exited: Promise<void>;
  private readonly slots: Int32Array;
  private readonly counter: BigInt64Array;
  private readonly workers: Worker[] = [];
  private seq = 0;

  constructor(
    memory: WasmMemory,
    private readonly control: number,
    readonly size: number,
    constants: TeamConstants,
  ) {
    this.slots = new Int32Array(memory.buffer);
    this.counter = new BigInt64Array(memory.buffer);
    const exits: Promise<void>[] = [];
    for (let t = 1; t <= size; t++) {
      const workerData: SimdWorkerData = { wasmModule: linearSimdModule(), memory, block: this.block(t), job: this.block(0), ...constants };
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      liveWorkers++;
      exits.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())).then(() => void liveWorkers--));
      // Idle workers sleep in Atomics.wait; unref'd, they never keep the process alive.
      worker.unref();
      this.workers.push(worker);
    }
    this.exited = Promise.all(exits).then(() => undefined);
  }

  /** Publishes the job (with a zeroed chunk count) and wakes sleeping workers; returns its sequence number for the module's claims. */
  publish(job: TeamJob): number {
    const slots = this.slots, b = this.block(0);
    // Close the finished job first (sequence number 0, never a job's): a worker that read its number
    // but is slow to read the parameters may read these new ones, and from them count more chunks
    // than the finished job had; with the counter closed, its claims fail instead of taking one.
    Atomics.store(this.counter, this.control / 8, 0n);
    slots[b + JOB.op] = job.op;
    slots[b + JOB.squash] = job.squash;
    slots[b + JOB.k] = job.k;
    slots[b + JOB.rangeStart] = job.rangeStart;
    slots[b + JOB.rangeEnd] = job.rangeEnd;
    slots[b + JOB.pointer] = job.pointer;
    slots[b + JOB.gradient] = job.gradient;
    slots[b + JOB.chunk] = job.chunk;
    slots[b + JOB.labels] = job.labels;
    slots[b + JOB.dOut] = job.dOut;
    slots[b + JOB.nSlots] = job.nSlots;
    slots[b + JOB.done] = 0;
    // One atomic store of the counter (next chunk 0, the new sequence number) publishes the plain stores above.
    // Positive, counting up (negative ones are the caller's solo jobs, which workers ignore).
    this.seq = this.seq === 0x7fffffff ? 1 : this.seq + 1;
    Atomics.store(this.counter, this.control / 8, BigInt(this.seq) << 32n);
    for (let t = 1; t <= this.size; t++) {
      if (Atomics.load(slots, this.block(t) + SLOT.sleeping) !== 0) {
        Atomics.notify(slots, b + JOB.seq);
        break;
      }
    }
    return this.seq;
  }

  /** Blocks until all `chunks` chunks of the job are done; throws if a worker failed or hangs. */
  finish(chunks: number): void {
    const slots = this.slots, done = this.block(0) + JOB.done, sleeping = this.block(0) + JOB.callerSleeping;
    for (let i = 0; i < SPIN_POLLS; i++) if (Atomics.load(slots, done) >= chunks) return;
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    for (let seen = Atomics.load(slots, done); seen < chunks; seen = Atomics.load(slots, done)) {
      // The flag goes up before the count is read again; a worker finishing the last chunk then notifies.
      Atomics.store(slots, sleeping, 1);
      if (Atomics.load(slots, done) === seen) Atomics.wait(slots, done, seen, ERROR_CHECK_MS);
      Atomics.store(slots, sleeping, 0);
      for (let t = 1; t <= this.size; t++) {
        if (Atomics.load(slots, this.block(t) + SLOT.error) !== 0) throw new Error(`SIMD kernel worker ${t} failed`);
      }
      if (Date.now() > deadline) throw new Error('SIMD kernel workers did not finish their chunks');
    }
  }

  /** Rows worker t has done over all jobs. */
  rows(t: number): number {
    return Atomics.load(this.slots, this.block(t) + SLOT.rows);
  }

  /** Ends every worker: a stop job ends its loop so it exits by itself; terminate() is the backstop. */
  stop(): void {
    Atomics.store(this.counter, this.control / 8, 0n);
    this.slots[this.block(0) + JOB.op] = OP.stop;
    this.seq = this.seq === 0x7fffffff ? 1 : this.seq + 1;
    Atomics.store(this.counter, this.control / 8, BigInt(this.seq) << 32n);
    Atomics.notify(this.slots, this.block(0) + JOB.seq);
    for (const worker of this.workers) void worker.terminate();
  }

  /** What a finalizer may call once the kernel is gone: terminates the workers without touching the team. */
  terminator(): () => void {
    const workers = [...this.workers];
    return () => workers.forEach((w) => void w.terminate());
  }

  /** Int32 index of control block t (0 the job block). */
  private block(t: number): number {
    return (this.control + t * CONTROL_BLOCK_BYTES) / 4;
  }
}
