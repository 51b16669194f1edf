/**
 * The `logistic` baseline: unconstrained L2-regularised logistic regression with sklearn's defaults
 * (`LogisticRegression()`: penalty l2, C = 1, intercept fitted and not penalised, multinomial for more
 * than two classes; X:experiments/baselines/logistic_regression.py), fitted in float64 by L-BFGS. The
 * objective is sklearn's divided by C·n (same minimiser, scale-free tolerance):
 *   F(θ) = (1/n) Σᵢ ℓ(yᵢ, θ₀ + xᵢ·w) + ‖w‖² / (2·C·n).
 * θ uses the engine's layout, so the engine's models predict with it: binary [b, w₁…w_d]; multinomial
 * (d+1) × K row-major with row 0 the biases.
 */

export interface LbfgsOptions {
  /** Stop when max |∇F| falls below this. */
  readonly gradientTolerance?: number;
  readonly maxIterations?: number;
  /** Correction pairs kept. */
  readonly memory?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly gradientMax: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4, two-loop recursion) with a backtracking Armijo
 * line search, for smooth convex objectives. `evaluate(x, gradient)` returns F(x) and writes ∇F(x).
 * Pairs with sᵀy ≤ 0 are skipped, so the implicit Hessian stays positive definite.
 */
export function lbfgs(evaluate: (x: Float64Array, gradient: Float64Array) => number, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const tolerance = options.gradientTolerance ?? 1e-8;
  const maxIterations = options.maxIterations ?? 1000;
  const m = options.memory ?? 10;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = evaluate(x, g);
  if (!Number.isFinite(f)) throw new RangeError(`lbfgs: the objective is ${f} at the starting point`);
  const sList: Float64Array[] = [], yList: Float64Array[] = [], rhoList: number[] = [];
  const direction = new Float64Array(n);
  const alpha = new Float64Array(m);
  let xNew = new Float64Array(n), gNew = new Float64Array(n);
  let iterations = 0;
  while (maxAbs(g) > tolerance && iterations < maxIterations) {
    // Two-loop recursion: direction = −H·g.
    for (let i = 0; i < n; i++) direction[i] = -g[i];
    for (let k = sList.length - 1; k >= 0; k--) {
      alpha[k] = rhoList[k] * dot(sList[k], direction);
      const y = yList[k];
      for (let i = 0; i < n; i++) direction[i] -= alpha[k] * y[i];
    }
    if (sList.length > 0) {
      const last = sList.length - 1;
      const gamma = dot(sList[last], yList[last]) / dot(yList[last], yList[last]);
      for (let i = 0; i < n; i++) direction[i] *= gamma;
    } else {
      // First step: a unit-length steepest-descent step.
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < n; i++) direction[i] *= scale;
    }
    for (let k = 0; k < sList.length; k++) {
      const beta = rhoList[k] * dot(yList[k], direction);
      const s = sList[k];
      for (let i = 0; i < n; i++) direction[i] += (alpha[k] - beta) * s[i];
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sList.length = yList.length = rhoList.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -g[i];
      slope = dot(g, direction);
    }
    let step = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * direction[i];
      fNew = evaluate(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope)) break; // no progress possible at float64
    const s = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-300) {
      if (sList.length === m) {
        sList.shift();
        yList.shift();
        rhoList.shift();
      }
      sList.push(s);
      yList.push(y);
      rhoList.push(1 / sy);
    }
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    const previous = f;
    f = fNew;
    iterations++;
    if (previous - f <= 1e-16 * Math.max(1, Math.abs(f)) && maxAbs(g) <= Math.sqrt(tolerance)) break;
  }
  const gradientMax = maxAbs(g);
  return { x, f, iterations, converged: gradientMax <= tolerance, gradientMax };
}

export interface LogisticRegressionOptions {
  /** sklearn's C: inverse regularisation strength (default 1). */
  readonly C?: number;
  readonly gradientTolerance?: number;
  readonly maxIterations?: number;
}

export interface LogisticRegressionFit {
  /** Engine layout: [b, w…] (binary) or (d+1) × K row-major, row 0 the biases (multinomial). */
  readonly theta: Float64Array;
  readonly nOutputs: number;
  readonly objective: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * Fits on the rows `rows` (indices into the row-major `features`, repeats allowed: a bootstrap sample)
 * with labels `labels[row]`. Binary when nClasses = 2 (θ of length d+1), multinomial otherwise.
 * @example fitLogisticRegression(Float64Array.of(-1, 1), 1, Int32Array.of(0, 1), Float64Array.of(0, 1), 2).theta // [0, w>0]
 */
export function fitLogisticRegression(
  features: Float32Array | Float64Array,
  nFeatures: number,
  rows: Int32Array,
  labels: Float64Array,
  nClasses: number,
  options: LogisticRegressionOptions = {},
): LogisticRegressionFit {
  const n = rows.length, d = nFeatures;
  if (n === 0) throw new RangeError('fitLogisticRegression: no rows');
  const C = options.C ?? 1;
  if (!(C > 0)) throw new RangeError(`fitLogisticRegression: C must be positive, got ${C}`);
  const k = nClasses === 2 ? 1 : nClasses;
  const penalty = 1 / (C * n);
  const z = new Float64Array(k);
  const evaluate = (theta: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const row = rows[r], offset = row * d, y = labels[row];
      for (let c = 0; c < k; c++) z[c] = theta[c];
      for (let j = 0; j < d; j++) {
        const x = features[offset + j];
        if (x === 0) continue;
        const base = (j + 1) * k;
        for (let c = 0; c < k; c++) z[c] += x * theta[base + c];
      }
      if (k === 1) {
        loss += softplus(z[0]) - y * z[0];
        // σ(z) − y, computed without overflow.
        const residual = (z[0] >= 0 ? 1 / (1 + Math.exp(-z[0])) : Math.exp(z[0]) / (1 + Math.exp(z[0]))) - y;
        z[0] = residual;
      } else {
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, z[c]);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += Math.exp(z[c] - max);
        const logSum = max + Math.log(sum);
        loss += logSum - z[y];
        for (let c = 0; c < k; c++) z[c] = Math.exp(z[c] - logSum) - (c === y ? 1 : 0);
      }
      // z now holds dℓ/dlogits.
      for (let c = 0; c < k; c++) gradient[c] += z[c];
      for (let j = 0; j < d; j++) {
        const x = features[offset + j];
        if (x === 0) continue;
        const base = (j + 1) * k;
        for (let c = 0; c < k; c++) gradient[base + c] += x * z[c];
      }
    }
    let squared = 0;
    for (let i = k; i < theta.length; i++) squared += theta[i] * theta[i];
    for (let i = 0; i < theta.length; i++) gradient[i] = gradient[i] / n + (i >= k ? penalty * theta[i] : 0);
    return loss / n + 0.5 * penalty * squared;
  };
  const result = lbfgs(evaluate, new Float64Array((d + 1) * k), {
    gradientTolerance: options.gradientTolerance ?? 1e-8,
    maxIterations: options.maxIterations ?? 1000,
  });
  return { theta: result.x, nOutputs: k, objective: result.f, iterations: result.iterations, converged: result.converged };
}
