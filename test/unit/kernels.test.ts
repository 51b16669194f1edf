// Invariants of the linear kernels: the JS kernel is bit for bit the models' old arithmetic (what the
// golden runs rely on); the WebAssembly SIMD kernel agrees with it to rounding on awkward shapes, with one
// thread or several; the models' vjp is the gradient of what they predict, whichever kernel they run on;
// dispose() ends the workers.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { RowRange } from '../../src-main/engine/data';
import { createJsLinearKernel, type FeatureMatrix, type LinearKernel } from '../../src-main/engine/kernels/linear-kernel';
import { createSimdLinearKernel, liveSimdWorkers, type SimdLinearKernel } from '../../src-main/engine/kernels/simd-linear-kernel';
import { createFastLinearKernel, createQsaKernel, SIMD_QSA_MIN_VALUES } from '../../src-main/engine/kernels/select';
import { simdSupported } from '../../src-main/engine/kernels/simd-support';
import type { ClassifierModel } from '../../src-main/engine/models/model';
import { BinaryLogisticModel } from '../../src-main/engine/models/logistic';
import { SoftmaxBinaryHeadModel, SoftmaxLinearModel } from '../../src-main/engine/models/softmax';
import { primaryObjective } from '../../src-main/engine/objectives';
import { runQsa } from '../../src-main/engine/qsa';
import { compileConstraint } from '../../src-shared/constraint';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomArray<T extends Float32Array | Float64Array>(make: new (n: number) => T, n: number, seed: number, scale = 1): T {
  const rand = lcg(seed), out = new make(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

const kernels: SimdLinearKernel[] = [];
function simd(features: Float32Array, d: number, k: number, threads: number): SimdLinearKernel {
  // minRowsPerThread 1 and small odd chunks: even the small ranges here are shared, so the workers really
  // run, on chunks that break row groups of 2 and 4.
  const kernel = createSimdLinearKernel(features, d, k, { threads, minRowsPerThread: 1, chunkRows: 7 });
  if (kernel === null) throw new Error('SIMD kernel unavailable');
  kernels.push(kernel);
  return kernel;
}
afterAll(() => kernels.forEach((k) => k.dispose()));

function abs<T extends Float32Array | Float64Array>(a: T): T {
  return a.map(Math.abs) as T;
}

/** |a − b| ≤ tol · scale elementwise, scale being the sum of the terms' magnitudes (no cancellation). */
function expectClose(actual: Float64Array, expected: Float64Array, scale: Float64Array, tol: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (scale[i] || 1));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

describe('JS linear kernel', () => {
  // The models' loops before kernels existed, verbatim in their arithmetic.
  function oldBinaryLogits(x: FeatureMatrix, d: number, theta: Float64Array, range: RowRange): Float64Array {
    const out = new Float64Array(range.end - range.start);
    for (let row = range.start, i = 0; row < range.end; row++, i++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += x[row * d + j] * theta[j + 1];
      out[i] = theta[0] + z;
    }
    return out;
  }
  function oldSoftmaxLogits(x: FeatureMatrix, d: number, k: number, theta: Float64Array, range: RowRange): Float64Array {
    const out = new Float64Array((range.end - range.start) * k);
    for (let row = range.start, i = 0; row < range.end; row++, i++) {
      for (let c = 0; c < k; c++) out[i * k + c] = theta[c];
      for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) out[i * k + c] += x[row * d + j] * theta[(j + 1) * k + c];
    }
    return out;
  }
  function oldGradient(x: FeatureMatrix, d: number, k: number, range: RowRange, dz: Float64Array): Float64Array {
    const g = new Float64Array((d + 1) * k);
    for (let row = range.start, i = 0; row < range.end; row++, i++) {
      if (dz.subarray(i * k, i * k + k).every((v) => v === 0)) continue;
      for (let c = 0; c < k; c++) g[c] += dz[i * k + c];
      for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) g[(j + 1) * k + c] += x[row * d + j] * dz[i * k + c];
    }
    return g;
  }

  it.each([1, 2, 3])('reproduces the old arithmetic bit for bit (K = %i)', (k) => {
    const d = 7, nRows = 50, range = { start: 5, end: 44 };
    const x = randomArray(Float64Array, nRows * d, 1);
    const theta = randomArray(Float64Array, (d + 1) * k, 2);
    const kernel = createJsLinearKernel(x, d, k);
    const logits = new Float64Array((range.end - range.start) * k);
    kernel.forward(theta, range, logits);
    expect(Array.from(logits)).toEqual(Array.from(k === 1 ? oldBinaryLogits(x, d, theta, range) : oldSoftmaxLogits(x, d, k, theta, range)));
    const dz = randomArray(Float64Array, logits.length, 3);
    dz.fill(0, 3 * k, 6 * k); // rows with dz = 0 are skipped
    const gradient = new Float64Array(theta.length);
    kernel.backward(range, dz, gradient);
    expect(Array.from(gradient)).toEqual(Array.from(oldGradient(x, d, k, range, dz)));
  });

  it('rejects ranges outside the rows and ragged matrices', () => {
    const kernel = createJsLinearKernel(new Float64Array(12), 3, 1);
    expect(() => kernel.forward(new Float64Array(4), { start: 2, end: 5 }, new Float64Array(3))).toThrow(RangeError);
    expect(() => createJsLinearKernel(new Float64Array(10), 3, 1)).toThrow(RangeError);
  });
});

describe('WebAssembly SIMD linear kernel', () => {
  it('is available on this runtime (Node ≥ 20 has SIMD and shared memory)', () => {
    expect(simdSupported()).toBe(true);
  });

  it('declines float64 features (callers fall back to the JS kernel)', () => {
    expect(createSimdLinearKernel(new Float64Array(8), 4, 1)).toBeNull();
    const fallback = createFastLinearKernel(new Float64Array(8), 4, 1);
    expect('threads' in fallback).toBe(false);
    const fast = createFastLinearKernel(new Float32Array(8), 4, 1, { threads: 1 });
    expect('threads' in fast).toBe(true);
    fast.dispose();
  });

  // Rows not a multiple of the threads or of the row pairs, features not a multiple of 4 or 8, odd K.
  const shapes: Array<[number, number, number]> = [
    [37, 1, 1],
    [101, 13, 2],
    [1003, 257, 1],
    [1003, 257, 2],
    [333, 30, 3],
    [64, 5, 5],
  ];
  for (const threads of [1, 2, 3]) {
    it.each(shapes)(`agrees with the JS kernel to 1e-12 (${threads} thread(s), %i rows × %i features, K = %i)`, (nRows, d, k) => {
      const x32 = randomArray(Float32Array, nRows * d, nRows + d + k);
      const js = createJsLinearKernel(x32, d, k), jsAbs = createJsLinearKernel(abs(x32), d, k);
      const fast = simd(x32, d, k, threads);
      const theta = randomArray(Float64Array, (d + 1) * k, 7);
      for (const range of [{ start: 0, end: nRows }, { start: 3, end: nRows - 2 }, { start: 1, end: 2 }, { start: 4, end: 4 }]) {
        const n = range.end - range.start;
        const expected = new Float64Array(n * k), actual = new Float64Array(n * k), scale = new Float64Array(n * k);
        js.forward(theta, range, expected);
        jsAbs.forward(abs(theta), range, scale);
        fast.forward(theta, range, actual);
        expectClose(actual, expected, scale, 1e-12, `forward over [${range.start}, ${range.end})`);

        const dz = randomArray(Float64Array, n * k, 11);
        if (n > 6) dz.fill(0, 2 * k, 5 * k);
        const start = randomArray(Float64Array, theta.length, 13); // backward adds to what is there
        const want = Float64Array.from(start), got = Float64Array.from(start), gradScale = abs(start);
        js.backward(range, dz, want);
        jsAbs.backward(range, abs(dz), gradScale);
        fast.backward(range, dz, got);
        expectClose(got, want, gradScale, 1e-12, `backward over [${range.start}, ${range.end})`);
      }
    });
  }

  for (const threads of [1, 2]) {
    it.each([1, 2])(`forwardSigmoid is σ of the logit (K = 1) or of ℓ₁ − ℓ₀ (K = 2) (${threads} thread(s), K = %i)`, (k) => {
      const nRows = 211, d = 21, range = { start: 6, end: 207 };
      const x32 = randomArray(Float32Array, nRows * d, 17);
      const js = createJsLinearKernel(x32, d, k), fast = simd(x32, d, k, threads);
      const theta = randomArray(Float64Array, (d + 1) * k, 19, 1.5); // logits up to ~±20: both tails of σ
      const n = range.end - range.start;
      const logits = new Float64Array(n * k), probs = new Float64Array(n);
      js.forward(theta, range, logits);
      fast.forwardSigmoid(theta, range, probs);
      for (let i = 0; i < n; i++) {
        const z = k === 1 ? logits[i] : logits[2 * i + 1] - logits[2 * i];
        const p = 1 / (1 + Math.exp(-z));
        // σ' ≤ p(1−p): a logit off by ε·|z| moves p by at most that much, relative to p(1−p).
        expect(Math.abs(probs[i] - p)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(z)) * p * (1 - p) + 1e-300);
      }
    });
  }

  for (const threads of [1, 2]) {
    it.each([1, 2])(`backwardSigmoid is backward with dz = s (K = 1) or (−s, s) (K = 2) (${threads} thread(s), K = %i)`, (k) => {
      const nRows = 211, d = 21, range = { start: 6, end: 207 }, n = range.end - range.start;
      const x32 = randomArray(Float32Array, nRows * d, 37);
      const js = createJsLinearKernel(x32, d, k), jsAbs = createJsLinearKernel(abs(x32), d, k), fast = simd(x32, d, k, threads);
      const probs = randomArray(Float64Array, n, 41).map((v) => (v + 1) / 2);
      const dProbs = randomArray(Float64Array, n, 43);
      dProbs.fill(0, 10, 20);
      const dz = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        const s = dProbs[i] * probs[i] * (1 - probs[i]);
        if (k === 1) dz[i] = s;
        else [dz[2 * i], dz[2 * i + 1]] = [-s, s];
      }
      const start = randomArray(Float64Array, (d + 1) * k, 47);
      const want = Float64Array.from(start), got = Float64Array.from(start), scale = abs(start);
      js.backward(range, dz, want);
      jsAbs.backward(range, abs(dz), scale);
      fast.backwardSigmoid(range, probs, dProbs, got);
      expectClose(got, want, scale, 1e-12, 'backwardSigmoid');
    });
  }

  for (const threads of [1, 2]) {
    it.each([1, 2])(`forwardSigmoidLogLoss is forwardSigmoid plus the JS binary logistic loss (${threads} thread(s), K = %i)`, (k) => {
      const nRows = 211, d = 21, range = { start: 6, end: 207 }, n = range.end - range.start;
      const x32 = randomArray(Float32Array, nRows * d, 53);
      const fast = simd(x32, d, k, threads);
      const theta = randomArray(Float64Array, (d + 1) * k, 59, 1.5);
      // 0/1 labels (one log a row in the kernel) and a few soft ones (both terms), as the objective allows.
      const labels = randomArray(Float64Array, nRows, 61).map((v, i) => (i % 17 === 0 ? (v + 1) / 2 : v > 0 ? 1 : 0));
      const probs = new Float64Array(n), want = new Float64Array(n);
      fast.forwardSigmoid(theta, range, probs);
      const wantF = primaryObjective('binary_logistic_loss', 2).evaluate(probs, labels, range.start, n, new Float64Array(n), want);
      const gotProbs = new Float64Array(n), got = new Float64Array(n).fill(Number.NaN);
      const f = fast.forwardSigmoidLogLoss(theta, range, labels, gotProbs, got);
      expect(Array.from(gotProbs)).toEqual(Array.from(probs));
      expect(Math.abs(f - wantF)).toBeLessThanOrEqual(1e-13 * wantF);
      got.forEach((v, i) => expect(Math.abs(v - want[i]), `dProbs[${i}]`).toBeLessThanOrEqual(1e-15 * Math.abs(want[i])));
    });
  }

  it('is deterministic: results do not depend on the threads or on which thread did which rows', () => {
    // Every partial sum belongs to a chunk fixed by the range, not to a thread: 1, 2 or 3 threads and
    // repeated calls give the same doubles, bit for bit.
    const nRows = 3001, d = 37, range = { start: 2, end: 2999 }, n = range.end - range.start;
    const x32 = randomArray(Float32Array, nRows * d, 67);
    const theta = randomArray(Float64Array, (d + 1) * 2, 71);
    const dz = randomArray(Float64Array, n * 2, 73);
    const labels = randomArray(Float64Array, nRows, 79).map((v) => (v > 0 ? 1 : 0));
    const outcomes = new Set<string>();
    for (const threads of [1, 2, 3]) {
      const fast = simd(x32, d, 2, threads);
      for (let call = 0; call < 3; call++) {
        const gradient = new Float64Array(theta.length), probs = new Float64Array(n), dProbs = new Float64Array(n);
        fast.backward(range, dz, gradient);
        const f = fast.forwardSigmoidLogLoss(theta, range, labels, probs, dProbs);
        fast.backwardSigmoid(range, probs, dProbs, gradient);
        outcomes.add(JSON.stringify([f, Array.from(gradient)]));
      }
    }
    expect(outcomes.size).toBe(1);
  });

  it('the fused paths refuse K > 2', () => {
    const fast = simd(randomArray(Float32Array, 30, 1), 3, 3, 1);
    expect(() => fast.forwardSigmoid(new Float64Array(12), { start: 0, end: 10 }, new Float64Array(10))).toThrow(RangeError);
    expect(() => fast.backwardSigmoid({ start: 0, end: 10 }, new Float64Array(10), new Float64Array(10), new Float64Array(12))).toThrow(RangeError);
    expect(() => fast.forwardSigmoidLogLoss(new Float64Array(12), { start: 0, end: 10 }, new Float64Array(10), new Float64Array(10), new Float64Array(10))).toThrow(RangeError);
  });

  it('every thread does rows, and its rows are right', () => {
    // Rows are claimed at run time, so which thread does what varies: repeat calls, checking each, until
    // every worker has done some (a worker that never woke would time out this test, not pass it).
    const d = 61, k = 2, nRows = 2000, range = { start: 1, end: nRows };
    const x32 = randomArray(Float32Array, nRows * d, 23);
    const js = createJsLinearKernel(x32, d, k), fast = simd(x32, d, k, 3);
    const theta = randomArray(Float64Array, (d + 1) * k, 29);
    const n = range.end - range.start;
    const expected = new Float64Array(n * k), actual = new Float64Array(n * k);
    js.forward(theta, range, expected);
    const dz = randomArray(Float64Array, n * k, 31);
    const want = new Float64Array(theta.length);
    js.backward(range, dz, want);
    const started = Date.now();
    while (fast.rowsByThread.some((rows) => rows === 0) && Date.now() - started < 20_000) {
      fast.forward(theta, range, actual);
      actual.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-12 * d));
      const got = new Float64Array(theta.length);
      fast.backward(range, dz, got);
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-12 * n));
    }
    fast.rowsByThread.forEach((rows, t) => expect(rows, `rows done by thread ${t}`).toBeGreaterThan(0));
    expect(fast.rowsByThread.reduce((a, b) => a + b, 0) % n).toBe(0);
  });

  it('reuses its memory across calls of different ranges and θ', () => {
    const d = 19, k = 2, nRows = 500;
    const x32 = randomArray(Float32Array, nRows * d, 5);
    const js = createJsLinearKernel(x32, d, k), fast = simd(x32, d, k, 2);
    for (let call = 0; call < 20; call++) {
      const theta = randomArray(Float64Array, (d + 1) * k, 100 + call);
      const range = { start: call * 7, end: nRows - call * 3 };
      const n = range.end - range.start;
      const expected = new Float64Array(n * k), actual = new Float64Array(n * k);
      js.forward(theta, range, expected);
      fast.forward(theta, range, actual);
      for (let i = 0; i < n * k; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(1e-12 * (1 + Math.abs(expected[i])) * d);
    }
  });

  it('dispose() ends its workers and refuses further calls', async () => {
    const before = liveSimdWorkers();
    const kernel = createSimdLinearKernel(randomArray(Float32Array, 40 * 3, 1), 3, 1, { threads: 3, minRowsPerThread: 1 });
    expect(kernel).not.toBeNull();
    if (kernel === null) return;
    expect(liveSimdWorkers()).toBe(before + 2);
    kernel.forward(new Float64Array(4), { start: 0, end: 40 }, new Float64Array(40));
    kernel.dispose();
    kernel.dispose(); // idempotent
    await kernel.exited;
    expect(liveSimdWorkers()).toBe(before);
    expect(() => kernel.forward(new Float64Array(4), { start: 0, end: 40 }, new Float64Array(40))).toThrow(/dispose/);
  });

  it('dispose() also ends workers that never got a job', async () => {
    const before = liveSimdWorkers();
    const kernel = createSimdLinearKernel(randomArray(Float32Array, 40 * 3, 1), 3, 2, { threads: 2 });
    kernel?.dispose();
    await kernel?.exited;
    expect(liveSimdWorkers()).toBe(before);
  });
});

describe('models on a kernel', () => {
  interface ModelCase {
    readonly name: string;
    readonly k: number;
    readonly make: (kernel: LinearKernel) => ClassifierModel;
  }
  const models: ModelCase[] = [
    { name: 'BinaryLogisticModel', k: 1, make: (kernel) => new BinaryLogisticModel(kernel) },
    { name: 'SoftmaxLinearModel', k: 3, make: (kernel) => new SoftmaxLinearModel(kernel) },
    { name: 'SoftmaxBinaryHeadModel', k: 2, make: (kernel) => new SoftmaxBinaryHeadModel(kernel) },
  ];
  const d = 6, nRows = 120, range = { start: 10, end: 110 };
  const x32 = randomArray(Float32Array, nRows * d, 21);

  function objective(model: ClassifierModel, theta: Float64Array, weights: Float64Array): number {
    const probs = new Float64Array((range.end - range.start) * model.nOutputs);
    model.predict(theta, range, probs);
    return probs.reduce((s, p, i) => s + p * weights[i], 0);
  }

  for (const { name, k, make } of models) {
    for (const kind of ['js', 'simd'] as const) {
      it(`${name} (${kind} kernel): vjp matches central finite differences`, () => {
        const kernel = kind === 'js' ? createJsLinearKernel(Float64Array.from(x32), d, k) : simd(x32, d, k, 2);
        const model = make(kernel);
        expect(model.nParams).toBe((d + 1) * k);
        const theta = randomArray(Float64Array, model.nParams, 31, 0.8);
        const probs = new Float64Array((range.end - range.start) * model.nOutputs);
        model.predict(theta, range, probs);
        const weights = randomArray(Float64Array, probs.length, 41);
        weights.fill(0, 0, 3 * model.nOutputs); // rows the gradient does not reach
        const gradient = new Float64Array(model.nParams);
        model.vjp(theta, range, probs, weights, gradient);
        const h = 1e-5;
        for (let j = 0; j < model.nParams; j++) {
          const plus = Float64Array.from(theta), minus = Float64Array.from(theta);
          plus[j] += h;
          minus[j] -= h;
          const numeric = (objective(model, plus, weights) - objective(model, minus, weights)) / (2 * h);
          expect(Math.abs(gradient[j] - numeric), `∂/∂θ[${j}]`).toBeLessThan(1e-7 + 1e-6 * Math.abs(numeric));
        }
      });
    }
  }

  it('SoftmaxBinaryHeadModel predicts the K = 2 softmax model’s column 1', () => {
    const x = Float64Array.from(x32), theta = randomArray(Float64Array, (d + 1) * 2, 3, 2);
    const head = new SoftmaxBinaryHeadModel(x, d), softmax = new SoftmaxLinearModel(x, d, 2);
    const p = new Float64Array(range.end - range.start), q = new Float64Array(p.length * 2);
    head.predict(theta, range, p);
    softmax.predict(theta, range, q);
    p.forEach((v, i) => expect(v).toBeCloseTo(q[2 * i + 1], 15));
  });

  it('keeps the feature-matrix constructors', () => {
    expect(new BinaryLogisticModel(Float64Array.from(x32), d).nParams).toBe(d + 1);
    expect(new SoftmaxLinearModel(x32, d, 4).nParams).toBe((d + 1) * 4);
    expect(() => new BinaryLogisticModel(createJsLinearKernel(x32, d, 2))).toThrow(RangeError);
  });
});

describe('the QSA on the SIMD kernel', () => {
  // Candidate selection takes the fused passes (loss, estimators and their chain rule on the kernel's
  // threads) on the SIMD kernel and the JS objective and bounder on the JS one: the trajectories agree
  // to rounding over the first iterations, full batch or mini-batches, and the SIMD run repeats itself
  // exactly (deterministic sums), whatever the threads.
  const nRows = 900, d = 12;
  const rand = lcg(83);
  const x32 = Float32Array.from({ length: nRows * d }, () => rand() * 2 - 1);
  const labels = Float64Array.from({ length: nRows }, () => (rand() < 0.5 ? 0 : 1));
  const sensitive = new Uint8Array(nRows * 2);
  for (let i = 0; i < nRows; i++) sensitive[i * 2 + (rand() < 0.45 ? 0 : 1)] = 1;
  const data = { nRows, labels, nClasses: 2, sensitiveColumns: ['M', 'F'], sensitive };
  const compiled = compileConstraint('min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.9', { columns: ['M', 'F'], subRegime: 'classification', delta: 0.1 });
  if (!compiled.ok) throw new Error(compiled.error.message);
  const constraint = compiled.constraint;

  function run(model: ClassifierModel, k: number, batchSize: number | null): number[] {
    const result = runQsa({
      model,
      objective: primaryObjective('binary_logistic_loss', 2),
      constraints: [constraint],
      data,
      fracDataInSafety: 0.5,
      thetaInit: randomArray(Float64Array, (d + 1) * k, 89, 0.1),
      settings: { lambdaInit: [0.5], alphaTheta: 0.01, alphaLambda: 0.01, betaVelocity: 0.9, betaRmsprop: 0.95, numIters: 40, batchSize, nEpochs: batchSize === null ? null : 8, clipTheta: null },
    });
    const trajectory = result.candidateSelection?.trajectory;
    if (!trajectory) throw new Error('no candidate selection');
    return [...trajectory.f, ...trajectory.g];
  }

  it.each([
    ['BinaryLogisticModel', 1, null],
    ['SoftmaxBinaryHeadModel', 2, null],
    ['BinaryLogisticModel', 1, 100],
    ['SoftmaxBinaryHeadModel', 2, 100],
  ] as const)('%s (K = %i, batch size %s): agrees with the JS kernel and repeats itself bit for bit', (_name, k, batchSize) => {
    const make = (kernel: LinearKernel): ClassifierModel => (k === 1 ? new BinaryLogisticModel(kernel) : new SoftmaxBinaryHeadModel(kernel));
    const js = run(make(createJsLinearKernel(x32, d, k)), k, batchSize);
    const fast = simd(x32, d, k, 2);
    const passes = fast.fusedQsa;
    if (!passes) throw new Error('the SIMD kernel offers no fused passes');
    const forwardFused = vi.spyOn(passes, 'forwardFused');
    const first = run(make(fast), k, batchSize);
    expect(forwardFused).toHaveBeenCalled();
    const again = run(make(simd(x32, d, k, 3)), k, batchSize);
    expect(again).toEqual(first);
    first.forEach((v, i) => expect(Math.abs(v - js[i]), `value ${i}`).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(js[i]))));
  });
});

describe('createQsaKernel', () => {
  // The one rule by which `fairbound qsa` and the runs' head QSA pick a kernel, so that exported latents
  // reproduce a run: SIMD only for large matrices of float32 values; small ones (the golden fixtures)
  // and float64 values that float32 would round keep the JS reference kernel.
  const d = 256, bigRows = Math.ceil(SIMD_QSA_MIN_VALUES / d);

  it('gives large float32 matrices, and float64 ones holding exactly float32 values, the SIMD kernel', () => {
    const x32 = randomArray(Float32Array, bigRows * d, 97);
    for (const features of [x32, Float64Array.from(x32)]) {
      const { kernel, name } = createQsaKernel(features, d, 1);
      expect(name).toBe('simd');
      expect('threads' in kernel).toBe(true);
      kernel.dispose();
    }
  });

  it('keeps the JS kernel for small matrices and for values float32 would round', () => {
    expect(createQsaKernel(randomArray(Float32Array, 100 * d, 101), d, 1).name).toBe('js');
    const rounded = Float64Array.from(randomArray(Float32Array, bigRows * d, 103));
    rounded[12345] += 1e-12;
    expect(createQsaKernel(rounded, d, 2).name).toBe('js');
  });
});
