import type { CompiledConstraint, SubRegime } from '../../src-shared/constraint/ast';
import { ConstraintCompileError } from '../errors/constraint-compile-error';
import { InputError } from '../errors/input-error';
import { readMetadata, readSeldonianCsv, type TabularDataset } from '../data/seldonian-format';
import { readQsaCase, readThetaInit, type QsaCase } from './case-spec';
import { compileForDataset } from './compile-for-dataset';
import type { BoundMethod } from './constraint-bounds';
import type { LinearKernel } from './kernels/linear-kernel';
import { createQsaKernel, type QsaKernelName } from './kernels/select';
import type { ClassifierModel } from './models/model';
import { BinaryLogisticModel } from './models/logistic';
import { SoftmaxLinearModel } from './models/softmax';
import { primaryObjective } from './objectives';
import { runQsa, type IterationProgress, type QsaResult } from './qsa';
import { buildQsaReport, type QsaReport } from './report';

export interface CaseOverrides {
  readonly data?: string;
  readonly metadata?: string;
  readonly thetaInit?: string;
  readonly iterations?: number;
  /** Student-t (the engine's, default), Hoeffding or exact (betting), for candidate selection and the safety test. */
  readonly bound?: BoundMethod;
}

export interface CaseRun {
  readonly qsaCase: QsaCase;
  readonly dataset: TabularDataset;
  readonly constraints: CompiledConstraint[];
  readonly nOutputs: number;
  /** Which kernel ran the QSA (createQsaKernel's choice). */
  readonly kernel: QsaKernelName;
  readonly result: QsaResult;
  readonly report: QsaReport;
}

/** The case's constraints against its own columns and its metadata's sub-regime (not the class count's). */
function compileCaseConstraints(qsaCase: QsaCase, columns: readonly string[], subRegime: SubRegime, nClasses: number): CompiledConstraint[] {
  return compileForDataset(
    qsaCase.constraints.map((source, i) => ({ source, delta: qsaCase.deltas[i] })),
    { sensitiveColumns: columns, nClasses, subRegime },
    (i, error) => new ConstraintCompileError(`${qsaCase.specPath}: constraints[${i}]`, error),
  );
}

/** The case's model on the kernel createQsaKernel picks (SIMD only for large float32-exact matrices; see there). */
function modelFor(qsaCase: QsaCase, dataset: TabularDataset): { model: ClassifierModel; kernel: LinearKernel; kernelName: QsaKernelName } {
  const nOutputs = qsaCase.model === 'logistic' ? 1 : dataset.nClasses;
  if (qsaCase.model === 'logistic' && dataset.nClasses > 2) {
    throw new InputError(`model 'logistic' is binary but the data has ${dataset.nClasses} classes; use 'multiclass_logistic'`, {
      file: qsaCase.specPath,
      key: 'optimization.model',
    });
  }
  const { kernel, name } = createQsaKernel(dataset.features, dataset.nFeatures, nOutputs);
  const model = nOutputs === 1 ? new BinaryLogisticModel(kernel) : new SoftmaxLinearModel(kernel);
  return { model, kernel, kernelName: name };
}

/** Reads a fixtures-style case (spec.json + Seldonian CSV + metadata + θ₀) and runs the QSA on it. */
export function runQsaCase(specPath: string, overrides: CaseOverrides = {}, onIteration?: (p: IterationProgress) => void, signal?: AbortSignal): CaseRun {
  const started = performance.now();
  const qsaCase = readQsaCase(specPath, overrides);
  const metadata = readMetadata(qsaCase.files.metadata);
  const dataset = readSeldonianCsv(qsaCase.files.data, metadata);
  const loadSeconds = (performance.now() - started) / 1000;
  const constraints = compileCaseConstraints(qsaCase, dataset.sensitiveColumns, metadata.subRegime, dataset.nClasses);
  const { model, kernel, kernelName } = modelFor(qsaCase, dataset);
  const thetaInit = readThetaInit(qsaCase.files.thetaInit, qsaCase.model, dataset.nFeatures, dataset.nClasses);
  const h = qsaCase.hyperparams;
  const lambdaInit = Array.isArray(h.lambdaInit) ? h.lambdaInit : constraints.map(() => h.lambdaInit as number);
  let result: QsaResult;
  try {
    result = runQsa({
      boundMethod: overrides.bound,
      model,
      objective: primaryObjective(qsaCase.primaryObjective, dataset.nClasses),
      constraints,
      data: dataset,
      fracDataInSafety: qsaCase.fracDataInSafety,
      thetaInit,
      settings: {
        lambdaInit,
        alphaTheta: h.alphaTheta,
        alphaLambda: h.alphaLambda,
        betaVelocity: h.betaVelocity,
        betaRmsprop: h.betaRmsprop,
        numIters: h.numIters,
        batchSize: h.useBatches ? h.batchSize : null,
        nEpochs: h.useBatches ? h.nEpochs : null,
        clipTheta: h.clipTheta,
      },
      onIteration,
      signal,
    });
  } finally {
    // The SIMD kernel's workers and memory go with the run; the JS kernel holds nothing.
    kernel.dispose();
  }
  const report = buildQsaReport(result, constraints, model.nOutputs, { load_case: loadSeconds });
  return { qsaCase, dataset, constraints, nOutputs: model.nOutputs, kernel: kernelName, result, report };
}
