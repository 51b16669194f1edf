/**
 * What this page's browser offers for training: a WebGPU adapter and a WebGL context, each classified
 * as a real GPU or a software implementation (classify.ts). Creates no TF.js backend: probing must not
 * pick one as a side effect.
 */
import type { AdapterProbe, GpuProbe } from '../../../src-shared/contract/gpu-trainer';
import { classifyWebgl, classifyWebgpu, describeWebgpuAdapter, type WebgpuAdapterFacts } from './classify';

/** The few WebGPU members used here (TypeScript's DOM library has no WebGPU types). */
interface AdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}
interface AdapterLike {
  readonly info?: AdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
  /** Chromium before 127 (tfjs-backend-webgpu 4.22 reads it too). */
  requestAdapterInfo?: () => Promise<AdapterInfoLike>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<AdapterLike | null>;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function probeWebgpu(backendBundled: boolean): Promise<AdapterProbe> {
  const unavailable = (reason: string): AdapterProbe => ({ api: 'webgpu', available: false, software: false, adapter: null, reason, backendBundled });
  const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (gpu === undefined) return unavailable(isSecureContext ? 'WebGPU is not available in this browser (navigator.gpu is missing)' : 'WebGPU needs a secure context');
  let adapter: AdapterLike | null;
  try {
    // TF.js's webgpu backend asks for the same adapter (high-performance unless told otherwise).
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return unavailable(`requestAdapter failed: ${message(error)}`);
  }
  if (adapter === null) return unavailable('WebGPU offers no adapter (no supported GPU, or blocked by the browser)');
  let info: AdapterInfoLike = {};
  try {
    info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
  } catch {
    // Adapter info is optional in the spec's history; classification falls back to isFallbackAdapter.
  }
  const facts: WebgpuAdapterFacts = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: adapter.isFallbackAdapter ?? info.isFallbackAdapter ?? false,
  };
  const { software, reason } = classifyWebgpu(facts);
  return { api: 'webgpu', available: true, software, adapter: describeWebgpuAdapter(facts), reason, backendBundled };
}

export function probeWebgl(): AdapterProbe {
  const canvas = document.createElement('canvas');
  // TF.js prefers WebGL 2 and falls back to WebGL 1; so does the probe.
  const gl2 = canvas.getContext('webgl2');
  const gl: WebGL2RenderingContext | WebGLRenderingContext | null = gl2 ?? canvas.getContext('webgl');
  if (gl === null) return { api: 'webgl', available: false, software: false, adapter: null, reason: 'WebGL is not available (no context)', backendBundled: true };
  try {
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = debug === null ? null : String(gl.getParameter(debug.UNMASKED_RENDERER_WEBGL));
    const float32 = gl2 !== null ? gl.getExtension('EXT_color_buffer_float') !== null : gl.getExtension('OES_texture_float') !== null && gl.getExtension('WEBGL_color_buffer_float') !== null;
    const { software, reason } = classifyWebgl(renderer, float32);
    // Without float32 render targets TF.js would train in float16: not a usable training backend.
    return { api: 'webgl', available: float32 || software, software, adapter: renderer, reason, backendBundled: true };
  } finally {
    // Frees the probe's context now rather than at garbage collection (browsers cap live contexts).
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

export async function probeAll(webgpuBundled: boolean): Promise<GpuProbe> {
  return { webgpu: await probeWebgpu(webgpuBundled), webgl: probeWebgl() };
}
