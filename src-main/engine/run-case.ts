import { compileConstraint } from '../../src-shared/constraint';
import type { CompiledConstraint, ConstraintError, SubRegime } from '../../src-shared/constraint/ast';
import { InputError } from '../data/input-error';
import { readMetadata, readSeldonianCsv, type TabularDataset } from '../data/seldonian-format';
import { readQsaCase, readThetaInit, type QsaCase } from './case-spec';
import type { BoundMethod } from './constraint-bounds';
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

function modelFor(qsaCase: QsaCase, dataset: TabularDataset): ClassifierModel {
  switch (qsaCase.model) {
    case 'logistic':
      if (dataset.nClasses > 2) {
        throw new InputError(`model 'logistic' is binary but the data has ${dataset.nClasses} classes; use 'multiclass_logistic'`, {
          file: qsaCase.specPath,
          key: 'optimization.model',
        });
      }
      return new BinaryLogisticModel(dataset.features, dataset.nFeatures);
    case 'multiclass_logistic':
      return new SoftmaxLinearModel(dataset.features, dataset.nFeatures, dataset.nClasses);
  }
}

/** Reads a fixtures-style case (spec.json + Seldonian CSV + metadata + θ₀) and runs the QSA on it. */
export function runQsaCase(specPath: string, overrides: CaseOverrides = {}, onIteration?: (p: IterationProgress) => void, signal?: AbortSignal): CaseRun {
  const started = performance.now();
  const qsaCase = readQsaCase(specPath, overrides);
  const metadata = readMetadata(qsaCase.files.metadata);
  const dataset = readSeldonianCsv(qsaCase.files.data, metadata);
  const loadSeconds = (performance.now() - started) / 1000;
  const constraints = compileCaseConstraints(qsaCase, dataset.sensitiveColumns, metadata.subRegime, dataset.nClasses);
  const model = modelFor(qsaCase, dataset);
  const thetaInit = readThetaInit(qsaCase.files.thetaInit, qsaCase.model, dataset.nFeatures, dataset.nClasses);
  const h = qsaCase.hyperparams;
  const lambdaInit = Array.isArray(h.lambdaInit) ? h.lambdaInit : constraints.map(() => h.lambdaInit as number);
  const result = runQsa({
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
  const report = buildQsaReport(result, constraints, model.nOutputs, { load_case: loadSeconds });
  return { qsaCase, dataset, constraints, nOutputs: model.nOutputs, result, report };
}
