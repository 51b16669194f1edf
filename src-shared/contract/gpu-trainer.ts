/**
 * The message protocol between the Electron main process and the GPU trainer page
 * (src-renderer/gpu-trainer.html), the hidden renderer window that trains on webgpu/webgl.
 * Both sides validate every message with these schemas:
 * requests are `probe | train | cancel`, a train job answers `progress* → trained | cancelled | error`,
 * and every failure, including a message that does not parse, comes back as an `error` reply.
 *
 * Transport: one MessagePort per page load. Main sends it to the page's preload on
 * GPU_TRAINER_PORT_CHANNEL; the preload hands it to the page with window.postMessage(GPU_TRAINER_CONNECT,
 * '*', [port]) (Electron's documented main-world port hand-over), so the page exposes no global API and
 * a test in plain Chromium connects the same way. Messages are structured clones: typed arrays travel
 * as such, and the sender may transfer their buffers.
 */
import { z } from 'zod';

/** Bumped when a message changes shape; the page says which one it speaks in its `ready` message. */
export const GPU_TRAINER_PROTOCOL = 1;
export { GPU_TRAINER_CONNECT, GPU_TRAINER_PORT_CHANNEL } from './gpu-trainer-channels';

const requestId = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const positiveInt = z.number().int().min(1);
const seed = z.number().int().min(0).max(0xffffffff);
const shape3 = z.tuple([positiveInt, positiveInt, positiveInt]);
/** A typed array of any backing buffer (z.instanceof would narrow the type to ArrayBuffer-backed ones). */
const typedArray = <T>(constructor: abstract new (...args: never[]) => T, name: string) =>
  z.custom<T>((value) => value instanceof constructor, { message: `expected a ${name}` });
const float32Array = typedArray<Float32Array>(Float32Array, 'Float32Array');
const uint8Array = typedArray<Uint8Array>(Uint8Array, 'Uint8Array');
const int32Array = typedArray<Int32Array>(Int32Array, 'Int32Array');

/** Mirrors LayerSpec of src-main/deep/architectures.ts (test/unit/gpu-trainer-protocol.test.ts checks both ways). */
export const layerSpec = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('conv2d'),
    filters: positiveInt,
    kernelSize: positiveInt,
    padding: z.union([z.literal('same'), z.literal('valid'), z.number().int().min(0)]),
    activation: z.enum(['linear', 'relu']).optional(),
  }),
  z.object({ kind: z.literal('maxPool2d'), poolSize: positiveInt }),
  z.object({ kind: z.literal('batchNorm'), epsilon: z.number().positive().optional(), momentum: z.number().min(0).max(1).optional() }),
  z.object({ kind: z.literal('flatten') }),
  z.object({ kind: z.literal('dense'), units: z.union([positiveInt, z.literal('classes')]), activation: z.enum(['linear', 'relu', 'softmax']).optional() }),
]);

export const architectureSpec = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(2000),
  defaultInputShape: shape3,
  layers: z.array(layerSpec).min(1).max(256),
});

/** WeightsByValue of src-main/deep/weights.ts: names, shapes and float32 values in the same order. */
export const weightsByValue = z
  .object({ names: z.array(z.string().min(1)), shapes: z.array(z.array(z.number().int().min(0))), data: z.array(float32Array) })
  .refine((w) => w.names.length === w.shapes.length && w.names.length === w.data.length, 'names, shapes and data must have the same length');

/** ImageSet of src-main/deep/images.ts: NHWC bytes. */
export const imageSet = z
  .object({ pixels: uint8Array, n: z.number().int().min(0), height: positiveInt, width: positiveInt, channels: positiveInt })
  .refine((s) => s.pixels.length === s.n * s.height * s.width * s.channels, 'pixels.length must be n × height × width × channels');

/** The backends the page trains on; `cpu` is not offered: the worker process has wasm and cpu itself. */
export const gpuBackendName = z.enum(['webgpu', 'webgl']);
export type GpuBackendName = z.infer<typeof gpuBackendName>;

export const probeRequest = z.object({ type: z.literal('probe'), id: requestId });

export const trainRequest = z.object({
  type: z.literal('train'),
  id: requestId,
  backend: gpuBackendName,
  /** Train even when the probe found a software adapter (tests; the chain itself never asks for it). */
  allowSoftware: z.boolean().default(false),
  model: z.object({
    architecture: architectureSpec,
    inputShape: shape3,
    numClasses: z.number().int().min(2).max(100_000),
    seed,
    init: z.enum(['pytorch', 'glorot']).default('pytorch'),
    /** The run's stored initial weights; without them the page draws them from `seed` (same values: the draws are in JS). */
    initialWeights: weightsByValue.optional(),
  }),
  images: imageSet,
  labels: int32Array,
  /** Rows to train on (the candidate rows); all rows when absent. */
  rows: int32Array.optional(),
  options: z.object({
    epochs: positiveInt,
    batchSize: positiveInt,
    learningRate: z.number().positive(),
    seed,
    shuffle: z.boolean().optional(),
  }),
});

/** Cancels the train job whose request had this id; answered by that job's `cancelled` reply (or nothing if it already ended). */
export const cancelRequest = z.object({ type: z.literal('cancel'), id: requestId });

export const gpuTrainerRequest = z.discriminatedUnion('type', [probeRequest, trainRequest, cancelRequest]);
export type GpuTrainerRequest = z.input<typeof gpuTrainerRequest>;
export type ProbeRequest = z.infer<typeof probeRequest>;
export type TrainRequest = z.infer<typeof trainRequest>;

/** What one graphics API offers in this page, and whether the chain may use it. */
export const adapterProbe = z.object({
  api: gpuBackendName,
  /** The API exists and gave an adapter / context (for WebGL: one that renders to float32 textures, or TF.js would train in float16). */
  available: z.boolean(),
  /** A CPU implementation (SwiftShader, llvmpipe, WARP, the WebGPU fallback adapter): the chain skips it. */
  software: z.boolean(),
  /** The adapter as the browser names it (WebGL's unmasked renderer, WebGPU's adapter info), if known. */
  adapter: z.string().nullable(),
  /** Why it is or is not used, for a person: e.g. "software renderer: SwiftShader". */
  reason: z.string(),
  /** Whether the page carries a TF.js backend for this API (webgpu needs @tensorflow/tfjs-backend-webgpu). */
  backendBundled: z.boolean(),
});
export type AdapterProbe = z.infer<typeof adapterProbe>;

export const gpuProbe = z.object({ webgpu: adapterProbe, webgl: adapterProbe });
export type GpuProbe = z.infer<typeof gpuProbe>;

export const batchProgress = z.object({
  epoch: z.number().int().min(0),
  batch: z.number().int().min(0),
  batchesPerEpoch: positiveInt,
  loss: z.number(),
  accuracy: z.number(),
  imagesPerSecond: z.number(),
});

export const epochSummary = z.object({ epoch: z.number().int().min(0), meanLoss: z.number(), accuracy: z.number(), seconds: z.number(), imagesPerSecond: z.number() });

export const gpuTrainerErrorCode = z.enum([
  /** The message did not match this protocol. */
  'bad_message',
  /** A train job is already running in this page (one at a time: they would share the GPU and tf's backend). */
  'busy',
  /** The adapter is software and allowSoftware was not set. */
  'software_adapter',
  /** The API or its TF.js backend is not there. */
  'backend_unavailable',
  /** Bad shapes, labels or weights for the architecture. */
  'invalid_input',
  /** Training itself failed (e.g. a non-finite loss, lost GPU context). */
  'training_failed',
]);
export type GpuTrainerErrorCode = z.infer<typeof gpuTrainerErrorCode>;

export const gpuTrainerError = z.object({ name: z.string(), code: gpuTrainerErrorCode, message: z.string(), stack: z.string().optional() });

/** A finished train job; also what the training worker gets relayed (src-main/runs/protocol.ts). */
export const trainedReply = z.object({
  type: z.literal('trained'),
  id: requestId,
  /** The TF.js backend it ran on and the adapter behind it. */
  backend: z.object({ name: gpuBackendName, package: z.string(), version: z.string(), adapter: z.string().nullable(), software: z.boolean() }),
  /** Every weight after training, trainable or not (batch-norm statistics included). */
  weights: weightsByValue,
  result: z.object({ epochs: z.array(epochSummary), batches: z.number().int().min(0), images: z.number().int().min(0), seconds: z.number() }),
});

export const gpuTrainerReply = z.discriminatedUnion('type', [
  /** Sent once the port is connected. */
  z.object({ type: z.literal('ready'), protocol: z.number().int(), tfjs: z.string() }),
  z.object({ type: z.literal('probe'), id: requestId, probe: gpuProbe }),
  z.object({ type: z.literal('progress'), id: requestId, progress: batchProgress }),
  trainedReply,
  z.object({ type: z.literal('cancelled'), id: requestId, message: z.string() }),
  /** `id` is null when the failing message had no readable id. */
  z.object({ type: z.literal('error'), id: requestId.nullable(), error: gpuTrainerError }),
]);
export type GpuTrainerReply = z.infer<typeof gpuTrainerReply>;
export type TrainedReply = z.infer<typeof trainedReply>;
