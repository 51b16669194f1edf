/**
 * The slice of the WebAssembly JS API the SIMD kernel uses, typed here because the project compiles
 * against lib ES2022 without DOM and @types/node 20 does not declare it. Local rather than a global
 * declaration, so nothing else in the project sees these types.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
/** An opaque compiled module: structured-cloneable into workers. */
export interface WasmModule {
  readonly __wasmModule?: never;
}
export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: unknown };
  validate(bytes: Uint8Array): boolean;
}

/** The runtime's WebAssembly object, or null where there is none. */
export function wasmApi(): WasmApi | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return typeof api === 'object' ? api : null;
}
