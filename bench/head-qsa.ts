/**
 * `npm run bench`: the head QSA of Tutorial J on a generated 23,700 × 256 case (or any fixtures case
 * with --spec), timed per iteration, with peak RSS. The generated case runs the binary logistic model and
 * the softmax head (Linear d→2 + softmax) on the plain JS kernel and on the WebAssembly SIMD kernel (all
 * cores), so the speed-up is measured in one run on one machine. Figures go into the issue notes; no test
 * times anything.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { compileConstraint } from '../src-shared/constraint';
import type { CompiledConstraint } from '../src-shared/constraint/ast';
import { createJsLinearKernel, type LinearKernel } from '../src-main/engine/kernels/linear-kernel';
import { createSimdLinearKernel, type SimdLinearKernel } from '../src-main/engine/kernels/simd-linear-kernel';
import type { ClassifierModel } from '../src-main/engine/models/model';
import { BinaryLogisticModel } from '../src-main/engine/models/logistic';
import { SoftmaxBinaryHeadModel } from '../src-main/engine/models/softmax';
import { primaryObjective } from '../src-main/engine/objectives';
import { runQsa, type QsaResult } from '../src-main/engine/qsa';
import { runQsaCase } from '../src-main/engine/run-case';
import { makeSyntheticHead, type SyntheticHead } from './synthetic-head';

const { values } = parseArgs({
  options: {
    spec: { type: 'string' },
    rows: { type: 'string', default: '23700' },
    features: { type: 'string', default: '256' },
    iterations: { type: 'string', default: '1200' },
    seed: { type: 'string', default: '1' },
    threads: { type: 'string', default: String(availableParallelism()) },
    /** Comma-separated subset of logistic,head. */
    models: { type: 'string', default: 'logistic,head' },
    /** Comma-separated subset of js,simd. */
    kernels: { type: 'string', default: 'js,simd' },
  },
});

const ORIGINAL_ENGINE_MS_PER_ITERATION = { builtinLogistic: [35, 40], pytorchHead: [39, 62] };
const TARGET_MS_PER_ITERATION = 2;
const TARGET_PEAK_RSS_MB = 400;
const started = performance.now();

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function msPerIteration(result: QsaResult): number {
  return (result.timingsSeconds.candidateSelection * 1000) / Math.max(1, result.candidateSelection?.iterationsRun ?? 0);
}

function report(label: string, iterations: number, seconds: number, verdict: string): void {
  const ms = (seconds * 1000) / iterations;
  const lines = [
    `case: ${label}`,
    `iterations: ${iterations}, total ${seconds.toFixed(2)} s, ${ms.toFixed(2)} ms/iteration (target ≤ ${TARGET_MS_PER_ITERATION})`,
    `vs original engine (35–40 ms builtin logistic, 39–62 ms PyTorch head on this machine): ` +
      `${(ORIGINAL_ENGINE_MS_PER_ITERATION.builtinLogistic[0] / ms).toFixed(1)}–${(ORIGINAL_ENGINE_MS_PER_ITERATION.pytorchHead[1] / ms).toFixed(1)}× faster`,
    `peak RSS so far: ${peakRssMb().toFixed(0)} MB (target ≤ ${TARGET_PEAK_RSS_MB})`,
    `verdict: ${verdict}`,
  ];
  console.log(lines.join('\n'));
}

type ModelName = 'logistic' | 'head';
type KernelName = 'js' | 'simd';

/** The head's θ is (d+1) × 2: column 1 takes the logistic θ₀, column 0 is zero, so z₁ − z₀ starts equal. */
function thetaInitFor(model: ModelName, head: SyntheticHead): Float64Array {
  if (model === 'logistic') return head.thetaInit;
  const theta = new Float64Array(head.thetaInit.length * 2);
  head.thetaInit.forEach((v, j) => (theta[2 * j + 1] = v));
  return theta;
}

/**
 * Adam moves both of the head's columns by α per step in opposite directions (their gradients are
 * opposite), so z₁ − z₀ moves at 2α: half the logistic α makes the two runs the same optimisation
 * (their last f agree), instead of a head that overshoots into saturated rows whose dz are all zero,
 * which would also flatter the timing.
 */
function alphaThetaFor(model: ModelName): number {
  return model === 'logistic' ? 0.01 : 0.005;
}

function kernelFor(kind: KernelName, head: SyntheticHead, k: number, threads: number): LinearKernel | SimdLinearKernel {
  if (kind === 'js') return createJsLinearKernel(head.features, head.nFeatures, k);
  const kernel = createSimdLinearKernel(head.features, head.nFeatures, k, { threads });
  if (kernel === null) throw new Error('WebAssembly SIMD is not available in this runtime');
  return kernel;
}

/** How the SIMD kernel's threads shared the rows: near-even unless a core was busy elsewhere. */
function describeShare(kernel: LinearKernel | SimdLinearKernel): string | null {
  if (!('rowsByThread' in kernel)) return null;
  const total = kernel.rowsByThread.reduce((a, b) => a + b, 0);
  return `rows by thread (0 = calling thread): ${kernel.rowsByThread.map((r) => `${((100 * r) / total).toFixed(0)}%`).join(', ')}`;
}

/**
 * Per-iteration wall times from the progress callback: on a 2-core machine shared with other work the
 * total is at the mercy of the load, and the median and the 10th percentile say what an iteration costs
 * when it gets the cores.
 */
function iterationClock(): { tick: () => void; summary: () => string } {
  const times: number[] = [];
  let last = performance.now();
  return {
    tick() {
      const now = performance.now();
      times.push(now - last);
      last = now;
    },
    summary() {
      const sorted = times.slice(1).sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
      return `per iteration: median ${at(0.5).toFixed(2)} ms, p10 ${at(0.1).toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms`;
    },
  };
}

function runGenerated(head: SyntheticHead, constraint: CompiledConstraint, modelName: ModelName, kernelName: KernelName): QsaResult {
  const threads = Number(values.threads), iterations = Number(values.iterations);
  const kernel = kernelFor(kernelName, head, modelName === 'logistic' ? 1 : 2, threads);
  const model: ClassifierModel = modelName === 'logistic' ? new BinaryLogisticModel(kernel) : new SoftmaxBinaryHeadModel(kernel);
  // One untimed pass starts the workers (tens of ms, once per kernel, not per iteration).
  model.predict(thetaInitFor(modelName, head), { start: 0, end: head.nRows }, new Float64Array(head.nRows));
  const clock = iterationClock();
  // CPU time of every thread: what the iterations cost when the cores are shared with other work.
  const cpuBefore = process.cpuUsage();
  try {
    const result = runQsa({
      onIteration: clock.tick,
      model,
      objective: primaryObjective('binary_logistic_loss', 2),
      constraints: [constraint],
      data: { nRows: head.nRows, labels: head.labels, nClasses: 2, sensitiveColumns: ['M', 'F'], sensitive: head.sensitive },
      fracDataInSafety: 0.5,
      thetaInit: thetaInitFor(modelName, head),
      settings: {
        lambdaInit: [0.5],
        alphaTheta: alphaThetaFor(modelName),
        alphaLambda: 0.01,
        betaVelocity: 0.9,
        betaRmsprop: 0.95,
        numIters: iterations,
        batchSize: null,
        nEpochs: null,
        clipTheta: null,
      },
    });
    const cpu = process.cpuUsage(cpuBefore);
    console.log(`${clock.summary()}; CPU time (all threads) ${((cpu.user + cpu.system) / 1000 / iterations).toFixed(2)} ms/iteration`);
    const share = describeShare(kernel);
    if (share !== null) console.log(share);
    return result;
  } finally {
    kernel.dispose();
  }
}

function benchGenerated(): void {
  const nRows = Number(values.rows), nFeatures = Number(values.features);
  const generated = performance.now();
  const head = makeSyntheticHead(nRows, nFeatures, Number(values.seed));
  console.log(`generated ${nRows} × ${nFeatures} float32 features in ${((performance.now() - generated) / 1000).toFixed(1)} s; SIMD threads: ${values.threads}`);
  const compiled = compileConstraint('min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8', {
    columns: ['M', 'F'],
    subRegime: 'classification',
    delta: 0.05,
  });
  if (!compiled.ok) throw new Error(compiled.error.message);
  const models = values.models.split(',') as ModelName[], kernels = values.kernels.split(',') as KernelName[];
  for (const modelName of models) {
    const ms = new Map<KernelName, number>();
    const finalF = new Map<KernelName, number>();
    for (const kernelName of kernels) {
      const result = runGenerated(head, compiled.constraint, modelName, kernelName);
      const iterations = result.candidateSelection?.iterationsRun ?? 0;
      report(`generated Tutorial J head, ${nRows} × ${nFeatures}, seed ${values.seed}, ${modelName} model, ${kernelName} kernel`, iterations, result.timingsSeconds.candidateSelection, result.outcome.kind);
      ms.set(kernelName, msPerIteration(result));
      finalF.set(kernelName, result.candidateSelection?.trajectory.f.at(-1) ?? Number.NaN);
      console.log(`last f: ${finalF.get(kernelName)}\n`);
    }
    const js = ms.get('js'), simd = ms.get('simd');
    if (js !== undefined && simd !== undefined) {
      const df = Math.abs((finalF.get('js') ?? Number.NaN) - (finalF.get('simd') ?? Number.NaN));
      console.log(`${modelName}: SIMD ${simd.toFixed(2)} vs JS ${js.toFixed(2)} ms/iteration: ${(js / simd).toFixed(1)}× faster (last f differs by ${df.toExponential(1)})\n`);
    }
  }
}

if (values.spec) {
  const run = runQsaCase(values.spec, { iterations: Number(values.iterations) });
  const cs = run.report.candidate_selection;
  report(values.spec, cs.iterations_run, run.result.timingsSeconds.candidateSelection, run.result.outcome.kind);
} else {
  benchGenerated();
}
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s, peak RSS ${peakRssMb().toFixed(0)} MB (target ≤ ${TARGET_PEAK_RSS_MB})`);
