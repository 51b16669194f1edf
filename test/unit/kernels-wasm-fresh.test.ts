// Invariant: the committed WebAssembly (kernels/linear-simd.wasm.generated.ts) was built from the
// AssemblyScript as it is now. Fails after an edit under kernels/simd/ until `npm run build:wasm` is run.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LINEAR_SIMD_SOURCE_SHA256, LINEAR_SIMD_WASM_BASE64 } from '../../src-main/engine/kernels/linear-simd.wasm.generated';

const sourceDir = join(dirname(fileURLToPath(import.meta.url)), '../../src-main/engine/kernels/simd');

/** The hash scripts/build-wasm.mjs records: every file of the folder by name, CRLF read as LF. */
function sourceHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(sourceDir).sort()) {
    hash.update(`${name}\n${readFileSync(join(sourceDir, name), 'utf8').replace(/\r\n/g, '\n')}\n`);
  }
  return hash.digest('hex');
}

interface WasmValidator {
  validate(bytes: Uint8Array): boolean;
}

describe('generated SIMD kernel module', () => {
  it('matches the AssemblyScript sources (else run `npm run build:wasm`)', () => {
    expect(LINEAR_SIMD_SOURCE_SHA256, 'src-main/engine/kernels/simd/ changed since the last `npm run build:wasm`').toBe(sourceHash());
  });

  it('holds a valid WebAssembly module', () => {
    const wasm = (globalThis as unknown as { WebAssembly: WasmValidator }).WebAssembly;
    expect(wasm.validate(Buffer.from(LINEAR_SIMD_WASM_BASE64, 'base64'))).toBe(true);
  });
});
