/**
 * The page's request handler: probe, train (one job at a time), cancel. Training is the worker's own
 * code (the deep modules around this folder: buildModel, setWeights, trainClassifier,
 * getWeightsByValue — all free of Node), so the same seed, initial weights, rows and options give the
 * same run as on wasm/cpu up to float32 rounding of a different backend. Every failure is answered as
 * an `error` reply, so main never waits on a page that gave up.
 */
import * as tf from '@tensorflow/tfjs';
// Registers the `webgpu` backend next to tfjs's webgl and cpu; nothing initialises until setBackend.
import '@tensorflow/tfjs-backend-webgpu';
import { buildModel } from '../architectures';
import { CancelledError, trainClassifier } from '../train';
import { getWeightsByValueAsync, setWeights } from '../weights';
import {
  gpuTrainerRequest,
  type GpuProbe,
  type GpuTrainerErrorCode,
  type GpuTrainerReply,
  type TrainRequest,
} from '../../../src-shared/contract/gpu-trainer';
import { probeAll } from './probe';

export type Post = (reply: GpuTrainerReply, transfer?: Transferable[]) => void;

const PACKAGES = { webgl: '@tensorflow/tfjs-backend-webgl', webgpu: '@tensorflow/tfjs-backend-webgpu' } as const;

class TrainerError extends Error {
  constructor(
    readonly code: GpuTrainerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function errorReply(id: number | null, code: GpuTrainerErrorCode, error: unknown): GpuTrainerReply {
  const e = error instanceof Error ? error : new Error(String(error));
  return { type: 'error', id, error: { name: e.name, code, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) } };
}

/** The id of a message that failed validation, when it has a usable one. */
function readableId(raw: unknown): number | null {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

export class GpuTrainer {
  private probed: Promise<GpuProbe> | undefined;
  private active: { readonly id: number; readonly controller: AbortController } | undefined;

  constructor(private readonly post: Post) {}

  /** The probe is cached: the adapter does not change while the page lives. */
  probe(): Promise<GpuProbe> {
    this.probed ??= probeAll(tf.findBackendFactory('webgpu') !== null);
    return this.probed;
  }

  /** Handles one incoming message; never throws (a failure is a reply). */
  async handle(raw: unknown): Promise<void> {
    const parsed = gpuTrainerRequest.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
      this.post(errorReply(readableId(raw), 'bad_message', new TypeError(`not a GPU trainer request: ${issues.join('; ')}`)));
      return;
    }
    const request = parsed.data;
    switch (request.type) {
      case 'probe':
        try {
          this.post({ type: 'probe', id: request.id, probe: await this.probe() });
        } catch (error) {
          this.post(errorReply(request.id, 'backend_unavailable', error));
        }
        return;
      case 'cancel':
        // Answered by the job's own `cancelled` reply; a job that already ended has sent its last word.
        if (this.active?.id === request.id) this.active.controller.abort();
        return;
      case 'train':
        if (this.active !== undefined) {
          this.post(errorReply(request.id, 'busy', new Error(`train request ${this.active.id} is still running`)));
          return;
        }
        await this.train(request);
        return;
    }
  }

  private async train(request: TrainRequest): Promise<void> {
    const controller = new AbortController();
    this.active = { id: request.id, controller };
    let model: tf.LayersModel | undefined;
    try {
      const adapter = await this.useBackend(request);
      try {
        model = buildModel(request.model.architecture, {
          numClasses: request.model.numClasses,
          seed: request.model.seed,
          inputShape: request.model.inputShape,
          init: request.model.init,
        });
        if (request.model.initialWeights !== undefined) setWeights(model, request.model.initialWeights);
      } catch (error) {
        throw new TrainerError('invalid_input', error instanceof Error ? error.message : String(error));
      }
      const result = await trainClassifier(model, request.images, request.labels, request.rows ?? { start: 0, end: request.images.n }, {
        ...request.options,
        signal: controller.signal,
        onBatch: (progress) => this.post({ type: 'progress', id: request.id, progress }),
      });
      const weights = await getWeightsByValueAsync(model);
      const backend = request.backend;
      this.post(
        {
          type: 'trained',
          id: request.id,
          backend: { name: backend, package: PACKAGES[backend], version: tf.version.tfjs, adapter: adapter.adapter, software: adapter.software },
          weights: { names: [...weights.names], shapes: weights.shapes.map((shape) => [...shape]), data: [...weights.data] },
          result: { epochs: [...result.epochs], batches: result.batches, images: result.images, seconds: result.seconds },
        },
        // The weights are fresh copies: hand their buffers over instead of cloning them.
        weights.data.map((d) => d.buffer as ArrayBuffer),
      );
    } catch (error) {
      if (error instanceof CancelledError) this.post({ type: 'cancelled', id: request.id, message: error.message });
      else if (error instanceof TrainerError) this.post(errorReply(request.id, error.code, error));
      // trainClassifier checks its inputs (shapes, labels, rows, options) with RangeErrors before any batch.
      else if (error instanceof RangeError) this.post(errorReply(request.id, 'invalid_input', error));
      else this.post(errorReply(request.id, 'training_failed', error));
    } finally {
      model?.dispose();
      this.active = undefined;
    }
  }

  /** Makes the requested backend tf's active one, refusing a software adapter unless allowed. */
  private async useBackend(request: TrainRequest): Promise<GpuProbe['webgl']> {
    const probe = (await this.probe())[request.backend];
    if (!probe.backendBundled) throw new TrainerError('backend_unavailable', `${request.backend}: ${PACKAGES[request.backend]} is not bundled in this page`);
    if (!probe.available) throw new TrainerError('backend_unavailable', `${request.backend}: ${probe.reason}`);
    if (probe.software && !request.allowSoftware) throw new TrainerError('software_adapter', `${request.backend} skipped: ${probe.reason}`);
    let ok: boolean;
    try {
      ok = await tf.setBackend(request.backend);
    } catch (error) {
      throw new TrainerError('backend_unavailable', `tf.setBackend('${request.backend}') failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!ok) throw new TrainerError('backend_unavailable', `tf.setBackend('${request.backend}') failed (see the page's console)`);
    if (request.backend === 'webgl' && !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) {
      throw new TrainerError('backend_unavailable', 'webgl: float32 rendering is not enabled, TF.js would train in float16');
    }
    return probe;
  }
}
