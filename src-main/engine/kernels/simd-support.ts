import { LINEAR_SIMD_WASM_BASE64 } from './linear-simd.wasm.generated';
import { wasmApi, type WasmApi, type WasmMemory, type WasmModule } from './wasm-api';

/**
 * (module (func (result v128) (v128.const i32x4 0 0 0 0))): the smallest module that only validates
 * where WebAssembly SIMD does. Shared memory is probed too, since every thread needs the same memory.
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b,
]);

let supported: boolean | undefined;
let compiled: WasmModule | undefined;

function probe(api: WasmApi | null): boolean {
  try {
    return (
      api !== null &&
      typeof SharedArrayBuffer === 'function' &&
      api.validate(SIMD_PROBE) &&
      new api.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer
    );
  } catch {
    return false;
  }
}

/** Whether this runtime has WebAssembly SIMD and shared WebAssembly memory (cached). */
export function simdSupported(): boolean {
  supported ??= probe(wasmApi());
  return supported;
}

function requireWasm(): WasmApi {
  const api = wasmApi();
  if (api === null || !simdSupported()) throw new Error('WebAssembly SIMD with shared memory is not available');
  return api;
}

/** The compiled linear kernel module (compiled once; workers get it by structured clone). */
export function linearSimdModule(): WasmModule {
  compiled ??= new (requireWasm().Module)(Buffer.from(LINEAR_SIMD_WASM_BASE64, 'base64'));
  return compiled;
}

/** A shared memory of exactly `pages` 64 KiB pages (never grown, so views on it stay valid). */
export function sharedMemory(pages: number): WasmMemory {
  return new (requireWasm().Memory)({ initial: pages, maximum: pages, shared: true });
}

/** What the AssemblyScript module (kernels/simd/linear.ts) exports; forward and backward return the rows this thread did. */
export interface LinearSimdExports {
  heapBase(): number;
  reduceSlots(grad: number, stride: number, count: number, width: number, out: number): void;
  forward(
    x: number, dp: number, k: number, thetaT: number, bias: number, rangeStart: number, rangeEnd: number, out: number, squash: number, counter: number, chunk: number,
    labels: number, dOut: number, sums: number, est: number, rowsStride: number, nSlots: number, shifts: number, estSums: number, seq: number,
  ): number;
  backward(
    x: number, dp: number, k: number, dz: number, rangeStart: number, rangeEnd: number, grad: number, counter: number, chunk: number, stride: number,
    fused: number, probs: number, est: number, rowsStride: number, nSlots: number, coef: number, seq: number,
  ): number;
}

export function instantiateLinearSimd(memory: WasmMemory): LinearSimdExports {
  const instance = new (requireWasm().Instance)(linearSimdModule(), { env: { memory } });
  return instance.exports as unknown as LinearSimdExports;
}
