/**
 * Software or hardware? The backend chain uses the GPU window only on a real GPU: on a CPU
 * implementation of WebGL/WebGPU, TF.js's shaders run far slower than the wasm backend's XNNPACK
 * kernels. Pure functions of what the browser reports, so they are unit-tested without a browser.
 */

/** Renderer-string patterns of CPU implementations, each with the name a person knows it by. */
const SOFTWARE_RENDERERS: readonly (readonly [RegExp, string])[] = [
  // Chromium's own (WebGL through ANGLE on SwiftShader's Vulkan, and WebGPU's fallback adapter).
  [/swiftshader/i, 'SwiftShader'],
  // Mesa's CPU drivers (Linux without a GPU driver, VMs, CI).
  [/llvmpipe/i, 'llvmpipe (Mesa)'],
  [/lavapipe/i, 'lavapipe (Mesa)'],
  [/softpipe/i, 'softpipe (Mesa)'],
  [/osmesa|mesa offscreen/i, 'OSMesa'],
  // Windows' and macOS's CPU rasterisers.
  [/microsoft basic render driver|\bwarp\b/i, 'Microsoft Basic Render Driver (WARP)'],
  [/apple software renderer/i, 'Apple Software Renderer'],
];

export interface Classification {
  readonly software: boolean;
  readonly reason: string;
}

/** The name of the software implementation `text` mentions, if any. */
export function softwareImplementation(text: string): string | undefined {
  return SOFTWARE_RENDERERS.find(([pattern]) => pattern.test(text))?.[1];
}

/**
 * WebGL: `renderer` is WEBGL_debug_renderer_info's UNMASKED_RENDERER_WEBGL (null when the extension is
 * missing: then the adapter is unknown and not used, since a masked "WebKit WebGL" says nothing).
 * `float32` is whether float32 textures can be rendered to: without it TF.js falls back to float16,
 * whose 11-bit mantissa ruins training.
 * @example classifyWebgl('ANGLE (Apple, ANGLE Metal Renderer: Apple M1, Unspecified Version)', true) // { software: false, … }
 */
export function classifyWebgl(renderer: string | null, float32: boolean): Classification {
  if (renderer === null) return { software: true, reason: 'renderer unknown (WEBGL_debug_renderer_info unavailable); not used' };
  const name = softwareImplementation(renderer);
  if (name !== undefined) return { software: true, reason: `software renderer ${name}` };
  if (!float32) return { software: false, reason: `GPU ${renderer}, but it cannot render to float32 textures (TF.js would train in float16)` };
  return { software: false, reason: `GPU ${renderer}` };
}

/** What WebGPU's GPUAdapter tells about itself (GPUAdapterInfo fields plus isFallbackAdapter). */
export interface WebgpuAdapterFacts {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
}

/** The adapter as one readable string, e.g. "nvidia ampere (NVIDIA GeForce RTX 3060)". */
export function describeWebgpuAdapter(facts: WebgpuAdapterFacts): string | null {
  const main = [facts.vendor, facts.architecture].filter((s) => s !== '').join(' ');
  const detail = [facts.description, facts.device].filter((s) => s !== '').join(', ');
  const text = detail === '' ? main : main === '' ? detail : `${main} (${detail})`;
  return text === '' ? null : text;
}

/**
 * WebGPU: the fallback adapter is by definition a CPU one (the spec's isFallbackAdapter); Chromium's is
 * SwiftShader, which adapter info also names.
 */
export function classifyWebgpu(facts: WebgpuAdapterFacts): Classification {
  const adapter = describeWebgpuAdapter(facts) ?? 'an unnamed adapter';
  const name = softwareImplementation(`${facts.vendor} ${facts.architecture} ${facts.device} ${facts.description}`);
  if (facts.isFallbackAdapter) return { software: true, reason: `software adapter: the WebGPU fallback adapter${name !== undefined ? ` (${name})` : ''}` };
  if (name !== undefined) return { software: true, reason: `software adapter ${name}` };
  return { software: false, reason: `GPU ${adapter}` };
}
