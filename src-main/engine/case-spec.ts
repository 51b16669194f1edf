/**
 * A QSA case file (`spec.json`, format in shared/fixtures/seldonian/README.md): constraints, δs, the
 * safety fraction, the optimiser settings (the engine's `optimization_hyperparams`) and the data files,
 * resolved relative to the spec's folder. Everything the engine would only discover mid-run (a δ of 1,
 * a β that makes Adam's bias correction divide by zero, a θ of the wrong shape) is refused here as an
 * InputError.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { InputError, parseWithSchema, readJsonFile } from '../errors/input-error';

export interface QsaHyperparams {
  lambdaInit: number | number[];
  alphaTheta: number;
  alphaLambda: number;
  betaVelocity: number;
  betaRmsprop: number;
  /** Iterations of full-batch runs; the engine ignores it when useBatches (it runs nEpochs × nBatches). */
  numIters: number;
  useBatches: boolean;
  /** Set only when useBatches. */
  batchSize: number | null;
  /** Set only when useBatches. */
  nEpochs: number | null;
  clipTheta: [number, number] | null;
}

export interface QsaCase {
  specPath: string;
  constraints: string[];
  deltas: number[];
  fracDataInSafety: number;
  model: 'logistic' | 'multiclass_logistic';
  primaryObjective: 'binary_logistic_loss' | 'multiclass_logistic_loss';
  hyperparams: QsaHyperparams;
  /** Absolute paths. */
  files: { data: string; metadata: string; thetaInit: string };
}

export interface QsaCaseOverrides {
  data?: string;
  metadata?: string;
  thetaInit?: string;
  iterations?: number;
}

/** The objective each model is trained with; the engine pairs them the same way. */
const OBJECTIVE_OF_MODEL = {
  logistic: 'binary_logistic_loss',
  multiclass_logistic: 'multiclass_logistic_loss',
} as const;

/** An optional key whose one accepted value is also the engine's default. */
function onlySupported<V extends string>(value: V) {
  return z.literal(value, { error: `only '${value}' is supported` }).optional();
}

const optionalCount = z.number().nullable().optional();

// Unknown keys are dropped (zod's default): gradient_library, hyper_search, verbose,
// use_builtin_primary_gradient_fn, batch_size_safety and data_generator have no effect on results.
const hyperparamsSchema = z.object({
  lambda_init: z.union([z.number(), z.array(z.number())], {
    error: (issue) => (issue.input === undefined ? 'missing' : 'expected a number or an array of numbers'),
  }),
  alpha_theta: z.number(),
  alpha_lamb: z.number(),
  beta_velocity: z.number(),
  beta_rmsprop: z.number(),
  use_batches: z.boolean(),
  num_iters: z.number(),
  batch_size: optionalCount,
  n_epochs: optionalCount,
  clip_theta: z.tuple([z.number(), z.number()]).nullable().optional(),
});

const optionalPath = z.string().min(1).optional();

const specSchema = z.object({
  constraints: z.array(z.string()),
  deltas: z.array(z.number()),
  frac_data_in_safety: z.number(),
  optimization: z.object({
    model: z.enum(['logistic', 'multiclass_logistic']),
    primary_objective: z.enum(['binary_logistic_loss', 'multiclass_logistic_loss']),
    // θ₀ always comes from files.theta_init; any other initial-solution source is not supported.
    initial_solution: onlySupported('theta_init'),
    // The engine's defaults (gradient descent with its Adam), and the only combination implemented.
    optimization_technique: onlySupported('gradient_descent'),
    optimizer: onlySupported('adam'),
    hyperparams: hyperparamsSchema,
  }),
  files: z.object({ data: optionalPath, metadata: optionalPath, theta_init: optionalPath }).optional(),
});

type RawSpec = z.output<typeof specSchema>;
type RawHyperparams = z.output<typeof hyperparamsSchema>;
type Fail = (key: string, detail: string) => never;

const HP = 'optimization.hyperparams';

/**
 * Reads and validates a case spec. Paths in `files` are resolved against the spec's folder;
 * override paths (from the command line) against the current directory.
 */
export function readQsaCase(specPath: string, overrides: QsaCaseOverrides = {}): QsaCase {
  const absSpec = resolve(specPath);
  const raw = parseWithSchema(specSchema, readJsonFile(specPath), specPath);
  const fail: Fail = (key, detail) => {
    throw new InputError(detail, { file: specPath, key });
  };

  checkConstraints(raw, fail);
  checkOpenUnit(raw.frac_data_in_safety, 'frac_data_in_safety', fail);
  const model = raw.optimization.model;
  if (raw.optimization.primary_objective !== OBJECTIVE_OF_MODEL[model]) {
    fail(
      'optimization.primary_objective',
      `model '${model}' is trained with '${OBJECTIVE_OF_MODEL[model]}', got '${raw.optimization.primary_objective}'`,
    );
  }

  return {
    specPath: absSpec,
    constraints: raw.constraints,
    deltas: raw.deltas,
    fracDataInSafety: raw.frac_data_in_safety,
    model,
    primaryObjective: OBJECTIVE_OF_MODEL[model],
    hyperparams: readHyperparams(raw.optimization.hyperparams, raw.constraints.length, overrides.iterations, fail),
    files: resolveFiles(raw.files, dirname(absSpec), overrides, fail),
  };
}

function checkConstraints(raw: RawSpec, fail: Fail): void {
  if (raw.constraints.length === 0) fail('constraints', 'at least one constraint is needed');
  if (raw.deltas.length !== raw.constraints.length) {
    fail('deltas', `expected one δ per constraint (${raw.constraints.length}), got ${raw.deltas.length}`);
  }
  raw.deltas.forEach((delta, i) => checkOpenUnit(delta, `deltas[${i}]`, fail));
}

/** δ and the safety fraction are probabilities/fractions where both 0 and 1 make the run meaningless. */
function checkOpenUnit(value: number, key: string, fail: Fail): void {
  if (!(value > 0 && value < 1)) fail(key, `must be strictly between 0 and 1, got ${value}`);
}

function checkPositive(value: number, key: string, fail: Fail): void {
  if (!(value > 0 && Number.isFinite(value))) fail(key, `must be a positive number, got ${value}`);
}

function checkPositiveInteger(value: number | null | undefined, key: string, fail: Fail): number {
  if (value === null || value === undefined) return fail(key, 'missing (needed when use_batches is true)');
  if (!(Number.isSafeInteger(value) && value > 0)) fail(key, `must be a positive integer, got ${value}`);
  return value;
}

/** Adam divides by 1 − βᵗ, so β must stay below 1 as well as above 0. */
function checkBeta(value: number, key: string, fail: Fail): void {
  if (!(value > 0 && value < 1)) fail(key, `must be strictly between 0 and 1, got ${value}`);
}

function readHyperparams(raw: RawHyperparams, nConstraints: number, iterations: number | undefined, fail: Fail): QsaHyperparams {
  checkPositive(raw.alpha_theta, `${HP}.alpha_theta`, fail);
  checkPositive(raw.alpha_lamb, `${HP}.alpha_lamb`, fail);
  checkBeta(raw.beta_velocity, `${HP}.beta_velocity`, fail);
  checkBeta(raw.beta_rmsprop, `${HP}.beta_rmsprop`, fail);
  return {
    lambdaInit: readLambdaInit(raw.lambda_init, nConstraints, fail),
    alphaTheta: raw.alpha_theta,
    alphaLambda: raw.alpha_lamb,
    betaVelocity: raw.beta_velocity,
    betaRmsprop: raw.beta_rmsprop,
    numIters: readNumIters(raw.num_iters, iterations, fail),
    useBatches: raw.use_batches,
    batchSize: raw.use_batches ? checkPositiveInteger(raw.batch_size, `${HP}.batch_size`, fail) : null,
    nEpochs: raw.use_batches ? checkPositiveInteger(raw.n_epochs, `${HP}.n_epochs`, fail) : null,
    clipTheta: readClipTheta(raw.clip_theta, fail),
  };
}

function readNumIters(fromSpec: number, iterations: number | undefined, fail: Fail): number {
  if (iterations !== undefined) {
    // The override comes from the command line, not from the file, so the error names no file.
    if (!(Number.isSafeInteger(iterations) && iterations > 0)) {
      throw new InputError(`the iterations override must be a positive integer, got ${iterations}`, { key: 'iterations' });
    }
    return iterations;
  }
  return checkPositiveInteger(fromSpec, `${HP}.num_iters`, fail);
}

/** λ₀ is one value for every constraint or one per constraint; multipliers are never negative. */
function readLambdaInit(value: number | number[], nConstraints: number, fail: Fail): number | number[] {
  const key = `${HP}.lambda_init`;
  if (typeof value === 'number') {
    if (!(value >= 0)) fail(key, `must be ≥ 0, got ${value}`);
    return value;
  }
  if (value.length !== nConstraints) {
    fail(key, `expected one value per constraint (${nConstraints}), got ${value.length}`);
  }
  value.forEach((v, i) => {
    if (!(v >= 0)) fail(`${key}[${i}]`, `must be ≥ 0, got ${v}`);
  });
  return value;
}

function readClipTheta(value: [number, number] | null | undefined, fail: Fail): [number, number] | null {
  if (value === null || value === undefined) return null;
  if (!(value[0] <= value[1])) fail(`${HP}.clip_theta`, `expected [min, max] with min ≤ max, got [${value.join(', ')}]`);
  return [value[0], value[1]];
}

function resolveFiles(
  files: RawSpec['files'],
  specDir: string,
  overrides: QsaCaseOverrides,
  fail: Fail,
): QsaCase['files'] {
  const pick = (override: string | undefined, fromSpec: string | undefined, key: string): string => {
    if (override !== undefined) return resolve(override);
    if (fromSpec !== undefined) return resolve(specDir, fromSpec);
    return fail(key, 'missing (name the file in the spec or pass it on the command line)');
  };
  return {
    data: pick(overrides.data, files?.data, 'files.data'),
    metadata: pick(overrides.metadata, files?.metadata, 'files.metadata'),
    thetaInit: pick(overrides.thetaInit, files?.theta_init, 'files.theta_init'),
  };
}

const flatTheta = z.array(z.number());
const nestedTheta = z.array(z.array(z.number()));

/**
 * Reads θ₀. Binary logistic: a flat `[bias, w1..wd]` (length d+1). Multiclass logistic: d+1 rows of
 * K numbers, row 0 the biases; returned row-major (θ[i][k] at index i·K + k).
 */
export function readThetaInit(path: string, model: QsaCase['model'], nFeatures: number, nClasses: number): Float64Array {
  const value = readJsonFile(path);
  const nRows = nFeatures + 1;
  if (model === 'logistic') {
    const theta = parseTheta(flatTheta, value, path, `a flat array of ${nRows} numbers [bias, w1..w${nFeatures}]`);
    if (theta.length !== nRows) {
      throw new InputError(`expected ${nRows} numbers [bias, w1..w${nFeatures}], got ${theta.length}`, { file: path });
    }
    return Float64Array.from(theta);
  }
  const shape = `${nRows} rows × ${nClasses} classes`;
  const rows = parseTheta(nestedTheta, value, path, `a nested array of ${shape}`);
  if (rows.length !== nRows) {
    throw new InputError(`expected ${shape} (bias row + ${nFeatures} features), got ${rows.length} rows`, { file: path });
  }
  const out = new Float64Array(nRows * nClasses);
  rows.forEach((row, i) => {
    if (row.length !== nClasses) {
      throw new InputError(`expected ${shape}, got ${row.length} numbers in this row`, { file: path, key: `[${i}]` });
    }
    out.set(row, i * nClasses);
  });
  return out;
}

/** Shape errors say what was expected rather than zod's generic "expected array". */
function parseTheta<T>(schema: z.ZodType<T>, value: unknown, path: string, expected: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const where = result.error.issues[0].path;
  const key = where.map((p) => `[${String(p)}]`).join('');
  throw new InputError(`expected ${expected}: ${result.error.issues[0].message}`, key === '' ? { file: path } : { file: path, key });
}
