/**
 * `npm run bench`: the head QSA of Tutorial J on a generated 23,700 × 256 case (or any fixtures case
 * with --spec), timed per iteration, with peak RSS. Figures go into the issue notes; no test times anything.
 */
import { parseArgs } from 'node:util';
import { compileConstraint } from '../src-shared/constraint';
import { BinaryLogisticModel } from '../src-main/engine/models/logistic';
import { primaryObjective } from '../src-main/engine/objectives';
import { runQsa } from '../src-main/engine/qsa';
import { runQsaCase } from '../src-main/engine/run-case';
import { makeSyntheticHead } from './synthetic-head';

const { values } = parseArgs({
  options: {
    spec: { type: 'string' },
    rows: { type: 'string', default: '23700' },
    features: { type: 'string', default: '256' },
    iterations: { type: 'string', default: '1200' },
    seed: { type: 'string', default: '1' },
  },
});

const ORIGINAL_ENGINE_MS_PER_ITERATION = { builtinLogistic: [35, 40], pytorchHead: [39, 62] };
const TARGET_MS_PER_ITERATION = 2;
const TARGET_PEAK_RSS_MB = 400;

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function report(label: string, iterations: number, seconds: number, verdict: string): void {
  const msPerIteration = (seconds * 1000) / iterations;
  const lines = [
    `case: ${label}`,
    `iterations: ${iterations}, total ${seconds.toFixed(2)} s, ${msPerIteration.toFixed(2)} ms/iteration (target ≤ ${TARGET_MS_PER_ITERATION})`,
    `vs original engine (35–40 ms builtin logistic, 39–62 ms PyTorch head on this machine): ` +
      `${(ORIGINAL_ENGINE_MS_PER_ITERATION.builtinLogistic[0] / msPerIteration).toFixed(1)}–${(ORIGINAL_ENGINE_MS_PER_ITERATION.pytorchHead[1] / msPerIteration).toFixed(1)}× faster`,
    `peak RSS: ${peakRssMb().toFixed(0)} MB (target ≤ ${TARGET_PEAK_RSS_MB})`,
    `verdict: ${verdict}`,
  ];
  console.log(lines.join('\n'));
}

if (values.spec) {
  const run = runQsaCase(values.spec, { iterations: Number(values.iterations) });
  const cs = run.report.candidate_selection;
  report(values.spec, cs.iterations_run, run.result.timingsSeconds.candidateSelection, run.result.outcome.kind);
} else {
  const nRows = Number(values.rows), nFeatures = Number(values.features), iterations = Number(values.iterations);
  const generated = performance.now();
  const head = makeSyntheticHead(nRows, nFeatures, Number(values.seed));
  console.log(`generated ${nRows} × ${nFeatures} float32 features in ${((performance.now() - generated) / 1000).toFixed(1)} s`);
  const compiled = compileConstraint('min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8', {
    columns: ['M', 'F'],
    subRegime: 'classification',
    delta: 0.05,
  });
  if (!compiled.ok) throw new Error(compiled.error.message);
  const result = runQsa({
    model: new BinaryLogisticModel(head.features, nFeatures),
    objective: primaryObjective('binary_logistic_loss', 2),
    constraints: [compiled.constraint],
    data: { nRows, labels: head.labels, nClasses: 2, sensitiveColumns: ['M', 'F'], sensitive: head.sensitive },
    fracDataInSafety: 0.5,
    thetaInit: head.thetaInit,
    settings: { lambdaInit: [0.5], alphaTheta: 0.01, alphaLambda: 0.01, betaVelocity: 0.9, betaRmsprop: 0.95, numIters: iterations, batchSize: null, nEpochs: null, clipTheta: null },
  });
  report(`generated Tutorial J head, ${nRows} × ${nFeatures}, seed ${values.seed}`, result.candidateSelection?.iterationsRun ?? 0, result.timingsSeconds.candidateSelection, result.outcome.kind);
}
