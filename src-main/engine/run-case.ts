import { compileConstraint } from '../../src-shared/constraint';
import type { CompiledConstraint, ConstraintError, SubRegime } from '../../src-shared/constraint/ast';
import { InputError } from '../errors/input-error';
import { readMetadata, readSeldonianCsv, type TabularDataset } from '../data/seldonian-format';
import { readQsaCase, readThetaInit, type QsaCase } from './case-spec';
import type { BoundMethod } from './constraint-bounds';
import type { LinearKernel } from './kernels/linear-kernel';
import { createQsaKernel, type QsaKernelName } from './kernels/select';
import type { ClassifierModel } from './models/model';
import { BinaryLogisticModel } from './models/logistic';
import { SoftmaxLinearModel } from './models/softmax';
import { primaryObjective } from './objectives';
import { runQsa, type IterationProgress, type QsaResult } from './qsa';
import { buildQsaReport, type QsaReport } from './report';

/** A constraint string that does not compile, with the case it came from. */
export class ConstraintCompileError extends Error {
  override readonly name = 'ConstraintCompileError';
  /** `where` names the source, e.g. `spec.json: constraints[0]` or `--constraint 2`. */
  constructor(
    readonly where: string,
    readonly error: ConstraintError,
  ) {
    super(`${where}: ${error.message}`);
  }
}

export interface CaseOverrides {
  readonly data?: string;
  readonly metadata?: string;
  readonly thetaInit?: string;
  readonly iterations?: number;
  /** Student-t (the engine's, default) or Hoeffding, for candidate selection and the safety test. */
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

export function compileCaseConstraints(qsaCase: QsaCase, columns: readonly string[], subRegime: SubRegime, nClasses: number): CompiledConstraint[] {
  return qsaCase.constraints.map((source, i) => {
    const compiled = compileConstraint(source, { columns, subRegime, delta: qsaCase.deltas[i], nClasses });
    if (!compiled.ok) throw new ConstraintCompileError(`${qsaCase.specPath}: constraints[${i}]`, compiled.error);
    return compiled.constraint;
  });
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
