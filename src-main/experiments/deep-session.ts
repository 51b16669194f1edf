/**
 * The deep-work process's side of experiment trials (src-main/jobs/worker/serve.ts calls it): a session
 * per experiment run holds the dataset (read from the workspace once, not sent over IPC), the compiled
 * constraints and a TrialExecutor whose deep models keep their initial weights by value between trials.
 * Only this process installs the deep implementations, so TensorFlow.js loads here and nowhere else.
 */
import * as tf from '@tensorflow/tfjs';
import type { OpenOptions } from '../store/database';
import { openWorkspace } from '../store/database';
import { loadDatasetForTraining } from '../store/datasets';
import { getExperiment } from '../store/experiments';
import { compileExperimentConstraints } from './constraints';
import { defaultLoaders, selectBackend } from '../deep/backends';
import type { QsaKernelOptions } from '../engine/kernels/select';
import { registerDeepExperimentModels } from './models/deep';
import { deepBackendOf } from './models/deep-types';
import type { TrialProgress } from './models/model-type';
import { experimentDataset, experimentRows } from './trial-dataset';
import { TrialExecutor } from './trial-executor';
import type { TrialResult, TrialTask } from './types';

export interface DeepTrialSessionSpec {
  readonly dbPath: string;
  readonly nativeBinding?: string;
  readonly experimentId: number;
  /**
   * This process's share of the cores for the SIMD kernel of qsa-head's QSA (the runner's
   * kernelThreadsFor): trial worker threads run beside it. Default: every core.
   */
  readonly kernel?: QsaKernelOptions;
}

export class DeepTrialSession {
  private constructor(private readonly executor: TrialExecutor) {}

  /**
   * Loads the experiment's dataset and settings and selects the deep models' backend. Throws for a
   * missing experiment or a backend that cannot load: that fails the experiment (it is not a trial's
   * NSF, which a baseline's training error would be).
   */
  static async open(spec: DeepTrialSessionSpec): Promise<DeepTrialSession> {
    registerDeepExperimentModels();
    const options: OpenOptions = spec.nativeBinding ? { nativeBinding: spec.nativeBinding } : {};
    const db = openWorkspace(spec.dbPath, options);
    try {
      const info = getExperiment(db, spec.experimentId);
      if (!info) throw new Error(`no experiment with id ${spec.experimentId}`);
      if (info.datasetId === null) throw new Error(`experiment ${spec.experimentId}'s dataset '${info.datasetName}' was deleted`);
      const data = experimentRows(loadDatasetForTraining(db, info.datasetId), info);
      const constraints = compileExperimentConstraints(info.constraints, data);
      // Every deep model's trials read tensors asynchronously, so the chain may give webgpu.
      await selectBackend(deepBackendOf(info.settings.models), defaultLoaders, { syncReads: false });
      return new DeepTrialSession(new TrialExecutor({ dataset: experimentDataset(data, false), constraints, settings: info.settings, seed: info.seed, ...(spec.kernel ? { kernel: spec.kernel } : {}) }));
    } finally {
      db.close();
    }
  }

  run(task: TrialTask, options: { signal: AbortSignal; onProgress: (progress: TrialProgress) => void }): Promise<TrialResult> {
    return this.executor.run(task, options);
  }

  /** The TensorFlow.js backend in use (reported with each result). */
  backend(): string | null {
    return tf.getBackend() ?? null;
  }

  dispose(): void {
    this.executor.dispose();
  }
}
