/**
 * Invariant under test: every fixture case spec reads to the settings its README row describes, with
 * files resolved against the spec's folder; every invalid setting is refused with an InputError naming
 * the spec file and the key; θ₀ is read in the layout the models use (binary flat, multiclass i·K + k).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src-main/errors/input-error';
import { readMetadata, readSeldonianCsv } from '../../src-main/data/seldonian-format';
import { readQsaCase, readThetaInit, type QsaCase } from '../../src-main/engine/case-spec';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/seldonian/', import.meta.url));
const RATIO = "min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= ";
const DP = 'abs((PR | [M]) - (PR | [F])) <= 0.2';

function inputErrorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}

/** Case folders are the fixture subfolders (two levels down) holding a spec.json. */
function fixtureCases(): string[] {
  const cases: string[] = [];
  for (const dataSet of readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!dataSet.isDirectory()) continue;
    for (const entry of readdirSync(join(FIXTURES, dataSet.name), { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(FIXTURES, dataSet.name, entry.name, 'spec.json'))) {
        cases.push(`${dataSet.name}/${entry.name}`);
      }
    }
  }
  return cases.sort();
}

const EXPECTED: Record<string, Pick<QsaCase, 'constraints' | 'deltas' | 'model'> & { batches: [number, number] | null }> = {
  'mc3_s1/acc_0.4': { constraints: ['ACC >= 0.4'], deltas: [0.05], model: 'multiclass_logistic', batches: null },
  'small_s0/dp_and_ratio': { constraints: [DP, `${RATIO}0.85`], deltas: [0.05, 0.1], model: 'logistic', batches: null },
  'small_s0/dp_and_ratio_0.8': { constraints: [DP, `${RATIO}0.8`], deltas: [0.05, 0.1], model: 'logistic', batches: null },
  'small_s0/minibatch_0.8': { constraints: [`${RATIO}0.8`], deltas: [0.05], model: 'logistic', batches: [250, 10] },
  'small_s0/ratio_0.8': { constraints: [`${RATIO}0.8`], deltas: [0.05], model: 'logistic', batches: null },
  'small_s0/ratio_0.99': { constraints: [`${RATIO}0.99`], deltas: [0.05], model: 'logistic', batches: null },
  'small_s0/ratio_1.01': { constraints: [`${RATIO}1.01`], deltas: [0.05], model: 'logistic', batches: null },
};

describe('fixture cases, read in place', () => {
  it('finds exactly the seven cases the README lists', () => {
    expect(fixtureCases()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(fixtureCases())('%s', (name) => {
    const specPath = join(FIXTURES, name, 'spec.json');
    const qsa = readQsaCase(specPath);
    const expected = EXPECTED[name];
    const dataDir = join(FIXTURES, name.split('/')[0]);
    expect(qsa.specPath).toBe(specPath);
    expect(qsa.constraints).toEqual(expected.constraints);
    expect(qsa.deltas).toEqual(expected.deltas);
    expect(qsa.fracDataInSafety).toBe(0.5);
    expect(qsa.model).toBe(expected.model);
    expect(qsa.primaryObjective).toBe(expected.model === 'logistic' ? 'binary_logistic_loss' : 'multiclass_logistic_loss');
    expect(qsa.files).toEqual({
      data: join(dataDir, 'data.csv'),
      metadata: join(dataDir, 'metadata.json'),
      thetaInit: join(dataDir, 'theta_init.json'),
    });
    expect(qsa.hyperparams).toEqual({
      lambdaInit: 0.5,
      alphaTheta: 0.01,
      alphaLambda: 0.01,
      betaVelocity: 0.9,
      betaRmsprop: 0.95,
      numIters: 1200,
      useBatches: expected.batches !== null,
      batchSize: expected.batches?.[0] ?? null,
      nEpochs: expected.batches?.[1] ?? null,
      clipTheta: null,
    });

    // The three files fit together: θ₀ has the shape the data implies.
    const meta = readMetadata(qsa.files.metadata);
    const data = readSeldonianCsv(qsa.files.data, meta);
    const theta = readThetaInit(qsa.files.thetaInit, qsa.model, data.nFeatures, data.nClasses);
    expect(theta.length).toBe(qsa.model === 'logistic' ? 17 : 7 * 3);
  });

  it('binary θ₀ is the flat [bias, w1..w16]', () => {
    const theta = readThetaInit(join(FIXTURES, 'small_s0/theta_init.json'), 'logistic', 16, 2);
    expect(theta.length).toBe(17);
    expect(theta[0]).toBe(-0.28753018283912485);
    expect(theta[16]).toBe(0.166453758877049);
  });

  it('multiclass θ₀ is row-major: θ[i][k] at i·K + k', () => {
    const theta = readThetaInit(join(FIXTURES, 'mc3_s1/theta_init.json'), 'multiclass_logistic', 6, 3);
    expect(theta.length).toBe(21);
    expect(theta[0]).toBe(0.03127066712710119); // θ[0][0], bias of class 0
    expect(theta[1 * 3 + 2]).toBe(0.22750054717708706); // θ[1][2]
    expect(theta[6 * 3 + 1]).toBe(0.305550243382477); // θ[6][1]
  });
});

describe('spec variants and errors', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fairbound-case-spec-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  type Json = Record<string, unknown>;
  const base = (): Json => JSON.parse(readFileSync(join(FIXTURES, 'small_s0/ratio_0.8/spec.json'), 'utf8')) as Json;

  /** Deep-copies the base spec, then sets (or, with undefined, deletes) the value at a dotted key. */
  function specWith(key: string, value: unknown): Json {
    const spec = base();
    const parts = key.split('.');
    let node = spec;
    for (const part of parts.slice(0, -1)) node = node[part] as Json;
    const last = parts[parts.length - 1];
    if (value === undefined) delete node[last];
    else node[last] = value;
    return spec;
  }

  function writeSpec(spec: unknown, name = 'spec.json'): string {
    const file = join(dir, name);
    writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec));
    return file;
  }

  it('resolves files against the spec folder and overrides against the current directory', () => {
    const file = writeSpec(base());
    const plain = readQsaCase(file);
    expect(plain.files.data).toBe(resolve(dir, '../data.csv'));
    const overridden = readQsaCase(file, { data: 'x/d.csv.gz', metadata: '/abs/m.json', thetaInit: 't.json', iterations: 7 });
    expect(overridden.files).toEqual({ data: resolve('x/d.csv.gz'), metadata: '/abs/m.json', thetaInit: resolve('t.json') });
    expect(overridden.hyperparams.numIters).toBe(7);
  });

  it('takes a λ₀ array, clip_theta, and defaults for optimizer / technique / initial_solution', () => {
    const spec = specWith('optimization.hyperparams.lambda_init', [0.25]);
    const hp = (spec.optimization as Json).hyperparams as Json;
    hp.clip_theta = [-5, 5];
    const opt = spec.optimization as Json;
    delete opt.optimizer;
    delete opt.optimization_technique;
    delete opt.initial_solution;
    const qsa = readQsaCase(writeSpec(spec));
    expect(qsa.hyperparams.lambdaInit).toEqual([0.25]);
    expect(qsa.hyperparams.clipTheta).toEqual([-5, 5]);
  });

  it('missing files entries are fine when overridden', () => {
    const file = writeSpec(specWith('files', undefined));
    const qsa = readQsaCase(file, { data: '/d.csv', metadata: '/m.json', thetaInit: '/t.json' });
    expect(qsa.files).toEqual({ data: '/d.csv', metadata: '/m.json', thetaInit: '/t.json' });
  });

  it('missing spec file and invalid JSON', () => {
    const absent = join(dir, 'absent.json');
    expect(inputErrorOf(() => readQsaCase(absent)).message).toBe(`${absent}: file not found`);
    const bad = writeSpec('{"constraints": [');
    const err = inputErrorOf(() => readQsaCase(bad));
    expect(err.file).toBe(bad);
    expect(err.detail).toMatch(/^not valid JSON/);
  });

  const HP = 'optimization.hyperparams';
  it.each([
    { key: 'constraints', value: [], errKey: 'constraints', detail: 'at least one constraint is needed' },
    { key: 'constraints', value: 'ACC >= 0.4', errKey: 'constraints', detail: 'Invalid input: expected array, received string' },
    { key: 'deltas', value: [0.05, 0.1], errKey: 'deltas', detail: 'expected one δ per constraint (1), got 2' },
    { key: 'deltas', value: undefined, errKey: 'deltas', detail: 'missing' },
    { key: 'deltas', value: [1], errKey: 'deltas[0]', detail: 'must be strictly between 0 and 1, got 1' },
    { key: 'deltas', value: [0], errKey: 'deltas[0]', detail: 'must be strictly between 0 and 1, got 0' },
    { key: 'frac_data_in_safety', value: 1, errKey: 'frac_data_in_safety', detail: 'must be strictly between 0 and 1, got 1' },
    { key: 'frac_data_in_safety', value: -0.5, errKey: 'frac_data_in_safety', detail: 'must be strictly between 0 and 1, got -0.5' },
    { key: `${HP}.num_iters`, value: 0, errKey: `${HP}.num_iters`, detail: 'must be a positive integer, got 0' },
    { key: `${HP}.num_iters`, value: 2.5, errKey: `${HP}.num_iters`, detail: 'must be a positive integer, got 2.5' },
    { key: `${HP}.lambda_init`, value: -1, errKey: `${HP}.lambda_init`, detail: 'must be ≥ 0, got -1' },
    { key: `${HP}.lambda_init`, value: [0.5, 0.5], errKey: `${HP}.lambda_init`, detail: 'expected one value per constraint (1), got 2' },
    { key: `${HP}.lambda_init`, value: [-0.5], errKey: `${HP}.lambda_init[0]`, detail: 'must be ≥ 0, got -0.5' },
    { key: `${HP}.lambda_init`, value: 'big', errKey: `${HP}.lambda_init`, detail: 'expected a number or an array of numbers' },
    { key: `${HP}.alpha_theta`, value: 0, errKey: `${HP}.alpha_theta`, detail: 'must be a positive number, got 0' },
    { key: `${HP}.alpha_lamb`, value: -0.01, errKey: `${HP}.alpha_lamb`, detail: 'must be a positive number, got -0.01' },
    { key: `${HP}.alpha_lamb`, value: undefined, errKey: `${HP}.alpha_lamb`, detail: 'missing' },
    { key: `${HP}.beta_velocity`, value: 1, errKey: `${HP}.beta_velocity`, detail: 'must be strictly between 0 and 1, got 1' },
    { key: `${HP}.beta_rmsprop`, value: '0.95', errKey: `${HP}.beta_rmsprop`, detail: 'Invalid input: expected number, received string' },
    { key: `${HP}.use_batches`, value: 'yes', errKey: `${HP}.use_batches`, detail: 'Invalid input: expected boolean, received string' },
    { key: `${HP}.clip_theta`, value: [1, -1], errKey: `${HP}.clip_theta`, detail: 'expected [min, max] with min ≤ max, got [1, -1]' },
    { key: 'optimization.model', value: 'linear', errKey: 'optimization.model', detail: 'Invalid option: expected one of "logistic"|"multiclass_logistic", got "linear"' },
    {
      key: 'optimization.primary_objective',
      value: 'multiclass_logistic_loss',
      errKey: 'optimization.primary_objective',
      detail: "model 'logistic' is trained with 'binary_logistic_loss', got 'multiclass_logistic_loss'",
    },
    { key: 'optimization.optimizer', value: 'sgd', errKey: 'optimization.optimizer', detail: 'only \'adam\' is supported, got "sgd"' },
    {
      key: 'optimization.optimization_technique',
      value: 'barrier_function',
      errKey: 'optimization.optimization_technique',
      detail: 'only \'gradient_descent\' is supported, got "barrier_function"',
    },
    { key: 'optimization.initial_solution', value: 'zeros', errKey: 'optimization.initial_solution', detail: 'only \'theta_init\' is supported, got "zeros"' },
    { key: 'files.data', value: undefined, errKey: 'files.data', detail: 'missing (name the file in the spec or pass it on the command line)' },
    { key: 'files', value: undefined, errKey: 'files.data', detail: 'missing (name the file in the spec or pass it on the command line)' },
    { key: 'files.theta_init', value: 3, errKey: 'files.theta_init', detail: 'Invalid input: expected string, received number' },
  ])('$key = $value → $errKey', ({ key, value, errKey, detail }) => {
    const file = writeSpec(specWith(key, value));
    const err = inputErrorOf(() => readQsaCase(file));
    expect([err.file, err.key, err.detail]).toEqual([file, errKey, detail]);
    expect(err.message).toBe(`${file} key '${errKey}': ${detail}`);
  });

  it('mini-batches need positive integer batch_size and n_epochs', () => {
    const batched = (hp: Json): string => {
      const spec = base();
      Object.assign((spec.optimization as Json).hyperparams as Json, { use_batches: true, ...hp });
      return writeSpec(spec);
    };
    const noSize = batched({ n_epochs: 10 });
    expect(inputErrorOf(() => readQsaCase(noSize)).key).toBe(`${HP}.batch_size`);
    const zeroEpochs = batched({ batch_size: 100, n_epochs: 0 });
    const err = inputErrorOf(() => readQsaCase(zeroEpochs));
    expect([err.key, err.detail]).toEqual([`${HP}.n_epochs`, 'must be a positive integer, got 0']);
    const nullSize = batched({ batch_size: null, n_epochs: 3 });
    expect(inputErrorOf(() => readQsaCase(nullSize)).detail).toBe('missing (needed when use_batches is true)');
    const fine = readQsaCase(batched({ batch_size: 100, n_epochs: 3 })).hyperparams;
    expect([fine.useBatches, fine.batchSize, fine.nEpochs]).toEqual([true, 100, 3]);
  });

  it.each([0, -3, 1.5, Number.NaN])('an iterations override of %s is refused, naming no file', (iterations) => {
    const file = writeSpec(base());
    const err = inputErrorOf(() => readQsaCase(file, { iterations }));
    expect([err.file, err.key]).toEqual([undefined, 'iterations']);
    expect(err.message).toBe(`key 'iterations': the iterations override must be a positive integer, got ${iterations}`);
  });
});

describe('θ₀ shape errors', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fairbound-theta-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function errorFor(content: unknown, model: QsaCase['model'], nFeatures: number, nClasses: number): { err: InputError; file: string } {
    const file = join(dir, 'theta_init.json');
    writeFileSync(file, JSON.stringify(content));
    return { err: inputErrorOf(() => readThetaInit(file, model, nFeatures, nClasses)), file };
  }

  it('binary: wrong length', () => {
    const { err, file } = errorFor([0, 1, 2], 'logistic', 3, 2);
    expect(err.message).toBe(`${file}: expected 4 numbers [bias, w1..w3], got 3`);
  });

  it('binary: nested array or a non-number', () => {
    expect(errorFor([[0, 1]], 'logistic', 1, 2).err.detail).toBe(
      'expected a flat array of 2 numbers [bias, w1..w1]: Invalid input: expected number, received array',
    );
    const { err } = errorFor([0, 'inf'], 'logistic', 1, 2);
    expect(err.key).toBe('[1]');
  });

  it('multiclass: wrong number of rows', () => {
    const { err, file } = errorFor([[0, 0, 0]], 'multiclass_logistic', 2, 3);
    expect(err.file).toBe(file);
    expect(err.detail).toBe('expected 3 rows × 3 classes (bias row + 2 features), got 1 rows');
  });

  it('multiclass: a short row is named by its index', () => {
    const { err, file } = errorFor([[0, 0, 0], [1, 1], [2, 2, 2]], 'multiclass_logistic', 2, 3);
    expect(err.message).toBe(`${file} key '[1]': expected 3 rows × 3 classes, got 2 numbers in this row`);
  });

  it('multiclass: a flat array is refused', () => {
    const { err } = errorFor([0, 0, 0], 'multiclass_logistic', 0, 3);
    expect(err.detail).toBe('expected a nested array of 1 rows × 3 classes: Invalid input: expected array, received number');
    expect(err.key).toBe('[0]');
  });

  it('missing θ₀ file', () => {
    const file = join(dir, 'nope.json');
    expect(inputErrorOf(() => readThetaInit(file, 'logistic', 2, 2)).message).toBe(`${file}: file not found`);
  });
});
