/**
 * Row gathers for models on numeric features: the trial data as the engine consumes it (a contiguous
 * feature matrix and LabelledRows in trial order), and predictions of an engine model for any rows.
 */
import type { LabelledRows } from '../../engine/data';
import type { FeatureMatrix, LinearKernel } from '../../engine/kernels/linear-kernel';
import { createQsaKernel, type QsaKernelInfo, type QsaKernelOptions } from '../../engine/kernels/select';
import type { ClassifierModel } from '../../engine/models/model';
import { BinaryLogisticModel } from '../../engine/models/logistic';
import { SoftmaxLinearModel } from '../../engine/models/softmax';
import type { ExperimentDataset } from '../types';
import type { DatasetShape, TrialPredictor } from './model-type';

export interface FeatureData {
  readonly features: FeatureMatrix;
  readonly nFeatures: number;
}

export function requireFeatures(dataset: ExperimentDataset, who: string): FeatureData {
  if (!dataset.features || dataset.nFeatures === undefined) throw new RangeError(`${who} needs a dataset with numeric features`);
  return { features: dataset.features, nFeatures: dataset.nFeatures };
}

export function checkFeatures(dataset: DatasetShape, who: string): string | null {
  return dataset.nFeatures === null
    ? `${who} needs numeric features (a Seldonian-format dataset, or latent features); this dataset has ${dataset.hasImages ? 'images' : 'none'}`
    : null;
}

/** features[rows] as a new matrix of the same dtype. */
export function gatherFeatures({ features, nFeatures: d }: FeatureData, rows: Int32Array): FeatureMatrix {
  const out = features instanceof Float32Array ? new Float32Array(rows.length * d) : new Float64Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(features.subarray(rows[i] * d, rows[i] * d + d), i * d);
  return out;
}

/** Labels and sensitive one-hots of `rows`, in that order: the rows the engine's split and bounds see. */
export function gatherLabelledRows(dataset: ExperimentDataset, rows: Int32Array): LabelledRows {
  const k = dataset.sensitiveColumns.length;
  const labels = new Float64Array(rows.length);
  const sensitive = new Uint8Array(rows.length * k);
  for (let i = 0; i < rows.length; i++) {
    labels[i] = dataset.labels[rows[i]];
    sensitive.set(dataset.sensitive.subarray(rows[i] * k, rows[i] * k + k), i * k);
  }
  return { nRows: rows.length, labels, nClasses: dataset.nClasses, sensitiveColumns: dataset.sensitiveColumns, sensitive };
}

/** The engine's linear model for these features: binary logistic (K = 2 classes) or softmax over K classes. */
export function linearModel(features: FeatureMatrix, nFeatures: number, nClasses: number): ClassifierModel {
  return nClasses === 2 ? new BinaryLogisticModel(features, nFeatures) : new SoftmaxLinearModel(features, nFeatures, nClasses);
}

/**
 * The engine's linear model for a trial's QSA on the kernel createQsaKernel picks for these features
 * (SIMD for large float32-exact matrices, the same rule as `fairbound qsa` and the runs' head QSA). The
 * caller disposes `kernel` once the QSA is done (the SIMD kernel's worker threads end with it).
 */
export function qsaLinearModel(
  features: FeatureMatrix,
  nFeatures: number,
  nClasses: number,
  options: QsaKernelOptions = {},
): { model: ClassifierModel; kernel: LinearKernel; info: QsaKernelInfo } {
  const { kernel, name, threads } = createQsaKernel(features, nFeatures, nClasses === 2 ? 1 : nClasses, options);
  const model = nClasses === 2 ? new BinaryLogisticModel(kernel) : new SoftmaxLinearModel(kernel);
  return { model, kernel, info: { name, threads } };
}

/**
 * A linear model's predictions with parameters θ: for all rows straight from the dataset's matrix (built
 * once and shared, `whole`), for a subset from a gathered copy.
 */
export function linearPredictor(data: FeatureData, nClasses: number, whole: ClassifierModel, theta: Float64Array): TrialPredictor {
  const nRows = data.features.length / data.nFeatures;
  return {
    nOutputs: whole.nOutputs,
    predict(rows?: Int32Array): Float64Array {
      if (rows === undefined) {
        const probs = new Float64Array(nRows * whole.nOutputs);
        whole.predict(theta, { start: 0, end: nRows }, probs);
        return probs;
      }
      const model = linearModel(gatherFeatures(data, rows), data.nFeatures, nClasses);
      const probs = new Float64Array(rows.length * model.nOutputs);
      model.predict(theta, { start: 0, end: rows.length }, probs);
      return probs;
    },
  };
}
