// The engine's one QSA loop driven two ways (engine/model-calls.ts): runQsaAsync, awaiting a model's
// asynchronous predict/vjp (as a TF.js model on webgpu needs), gives runQsa's result bit for bit, through
// candidate selection (full batch and mini-batches, binary and multiclass) and the safety test; and, since
// it yields to the event loop at every model call, an abort that arrives as an event stops it.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { compileConstraint } from '../../src-shared/constraint';
import type { LabelledRows, RowRange } from '../../src-main/engine/data';
import { CancelledError } from '../../src-main/engine/candidate-selection';
import type { ClassifierModel } from '../../src-main/engine/models/model';
import { BinaryLogisticModel } from '../../src-main/engine/models/logistic';
import { SoftmaxLinearModel } from '../../src-main/engine/models/softmax';
import { primaryObjective } from '../../src-main/engine/objectives';
import { runQsa, runQsaAsync, type QsaInput, type QsaResult } from '../../src-main/engine/qsa';
import { predictRange, predictRangeAsync } from '../../src-main/engine/safety-test';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function makeData(nRows: number, nFeatures: number, nClasses: number): { features: Float64Array; data: LabelledRows } {
  const rand = lcg(11);
  const features = Float64Array.from({ length: nRows * nFeatures }, () => rand() * 2 - 1);
  const labels = Float64Array.from({ length: nRows }, (_, i) => (features[i * nFeatures] + 0.3 * rand() > 0 ? nClasses - 1 : Math.floor(rand() * nClasses)));
  const sensitive = new Uint8Array(nRows * 2);
  for (let i = 0; i < nRows; i++) sensitive[i * 2 + (rand() < 0.45 ? 0 : 1)] = 1;
  return { features, data: { nRows, labels, nClasses, sensitiveColumns: ['M', 'F'], sensitive } };
}

/** A CPU model behind only predict/vjp (no fused passes), with asynchronous forms that count their calls and wait a turn. */
class AsyncWrapped implements ClassifierModel {
  readonly nParams: number;
  readonly nOutputs: number;
  asyncCalls = 0;
  constructor(private readonly inner: ClassifierModel) {
    this.nParams = inner.nParams;
    this.nOutputs = inner.nOutputs;
  }
  predict(theta: Float64Array, range: RowRange, probs: Float64Array): void {
    this.inner.predict(theta, range, probs);
  }
  vjp(theta: Float64Array, range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void {
    this.inner.vjp(theta, range, probs, dProbs, gradient);
  }
  async predictAsync(theta: Float64Array, range: RowRange, probs: Float64Array): Promise<void> {
    this.asyncCalls++;
    await nextTurn();
    this.inner.predict(theta, range, probs);
  }
  async vjpAsync(theta: Float64Array, range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): Promise<void> {
    this.asyncCalls++;
    await nextTurn();
    this.inner.vjp(theta, range, probs, dProbs, gradient);
  }
}

function problem(nClasses: number, batchSize: number | null): { input: Omit<QsaInput, 'model'>; model: () => AsyncWrapped } {
  const nFeatures = 5;
  const { features, data } = makeData(400, nFeatures, nClasses);
  const source = nClasses === 2 ? 'min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.9' : 'abs((PR_[1] | [M]) - (PR_[1] | [F])) <= 0.2';
  const compiled = compileConstraint(source, { columns: ['M', 'F'], subRegime: nClasses === 2 ? 'classification' : 'multiclass_classification', delta: 0.1, nClasses });
  if (!compiled.ok) throw new Error(compiled.error.message);
  const inner = (): ClassifierModel => (nClasses === 2 ? new BinaryLogisticModel(features, nFeatures) : new SoftmaxLinearModel(features, nFeatures, nClasses));
  const nParams = inner().nParams;
  const rand = lcg(5);
  return {
    model: () => new AsyncWrapped(inner()),
    input: {
      objective: primaryObjective(nClasses === 2 ? 'binary_logistic_loss' : 'multiclass_logistic_loss', nClasses),
      constraints: [compiled.constraint],
      data,
      fracDataInSafety: 0.4,
      thetaInit: Float64Array.from({ length: nParams }, () => rand() - 0.5),
      settings: {
        lambdaInit: [0.5],
        alphaTheta: 0.05,
        alphaLambda: 0.05,
        betaVelocity: 0.9,
        betaRmsprop: 0.95,
        numIters: 40,
        batchSize,
        nEpochs: batchSize === null ? null : 3,
        clipTheta: null,
      },
    },
  };
}

function withoutTimings(r: QsaResult): Omit<QsaResult, 'timingsSeconds'> {
  const { timingsSeconds: _ignored, ...rest } = r;
  return rest;
}

describe('runQsaAsync', () => {
  it.each([
    ['binary, full batch', 2, null],
    ['binary, mini-batches with a short last one', 2, 70],
    ['multiclass, mini-batches', 3, 100],
  ] as const)('%s: the same result as runQsa, bit for bit, through the asynchronous calls', async (_name, nClasses, batchSize) => {
    const { input, model } = problem(nClasses, batchSize);
    const sync = runQsa({ ...input, model: model() });
    const asyncModel = model();
    const viaAsync = await runQsaAsync({ ...input, model: asyncModel });
    expect(withoutTimings(viaAsync)).toEqual(withoutTimings(sync));
    const iterations = sync.candidateSelection!.iterationsRun;
    expect(iterations).toBeGreaterThan(5);
    // A predict and a vjp per iteration, and the safety test's predict when a candidate came out.
    expect(asyncModel.asyncCalls).toBe(2 * iterations + (sync.safetyTest === null ? 0 : 1));
    const theta = sync.candidateSelection!.candidate!;
    const safety = { start: sync.nCandidate, end: input.data.nRows };
    expect(await predictRangeAsync(asyncModel, theta, safety)).toEqual(predictRange(asyncModel, theta, safety));
  });

  it('an abort that arrives as an event between model calls stops it with CancelledError', async () => {
    const { input, model } = problem(2, null);
    const abort = new AbortController();
    const seen: number[] = [];
    setTimeout(() => abort.abort(), 20);
    const run = runQsaAsync({ ...input, model: model(), settings: { ...input.settings, numIters: 1_000_000 }, signal: abort.signal, onIteration: (p) => seen.push(p.iteration) });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(1_000_000);
  });
});
