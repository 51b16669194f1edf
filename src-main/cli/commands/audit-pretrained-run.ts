/**
 * `fairbound audit --retrain-head --model <file>`: Tutorial J's pretrained-network path on a model file, as
 * a stored run. The flags become the `runs.startPretrained` route's input (checked by its schema) and the
 * run is prepared as the route prepares it (audit/pretrained-run.ts), then executed in this process by the
 * worker's pipeline (runs/pipeline.ts with audit/pretrained-body.ts), so `fairbound run show`, the report
 * and the exports see it as the app's. What is printed is what `--retrain-head` always printed
 * (printRetrainedHead), plus the run's id.
 */
import { pretrainedRunRequest } from '../../../src-shared/contract/schemas';
import { runBoundMethod } from '../../../src-shared/domain/runs';
import { pretrainedBodyPort } from '../../audit/pretrained-body';
import { preparePretrainedRun } from '../../audit/pretrained-run';
import { describeLoaded } from '../../deep/backends';
import type { QsaResult } from '../../engine/qsa';
import { executeRun } from '../../runs/pipeline';
import { compileRunConstraints } from '../../runs/prepare';
import { getRun, insertRun } from '../../store/runs';
import { parseFlagInput } from '../flag-input';
import { integerOption, numberOption } from '../number-flags';
import { iterationPrinter, printRetrainedHead, type RetrainHeadCommand } from './audit-retrain-head';

/** The flags as the route's input; undefined ones drop out (the route's defaults are the old flags' defaults). */
function requestOf(c: RetrainHeadCommand, path: string): ReturnType<typeof pretrainedRunRequest.parse> {
  const f = c.flags;
  const positive = (v: number): boolean => v > 0;
  const lambdas = f['lambda-init']?.split(',').map((t) => numberOption('lambda-init', t, 0, (v) => v >= 0, 'a number ≥ 0 (or one per constraint, comma-separated)'));
  const onnx = c.onnx;
  return parseFlagInput(
    pretrainedRunRequest,
    {
      dataset: c.info.id,
      constraints: c.constraints.map((k) => ({ ...k })),
      model: path,
      ...(onnx !== null
        ? {
            onnx: {
              ...(onnx.preprocessing.layout !== undefined ? { layout: onnx.preprocessing.layout } : {}),
              ...(onnx.preprocessing.normalize !== undefined ? { normalize: onnx.preprocessing.normalize } : {}),
              ...(onnx.preprocessing.channels !== undefined ? { channels: onnx.preprocessing.channels } : {}),
            },
            ...(onnx.latentOutput !== undefined ? { latentOutput: onnx.latentOutput } : {}),
          }
        : { backend: c.backend }),
      ...(c.resize !== null ? { resize: c.resize } : {}),
      ...(c.fracSafety !== null ? { fracSafety: c.fracSafety } : {}),
      ...(f.iterations !== undefined ? { iterations: integerOption('iterations', f.iterations, 1, 1) } : {}),
      ...(f['alpha-theta'] !== undefined ? { alphaTheta: numberOption('alpha-theta', f['alpha-theta'], 1, positive, 'a positive number') } : {}),
      ...(f['alpha-lambda'] !== undefined ? { alphaLambda: numberOption('alpha-lambda', f['alpha-lambda'], 1, positive, 'a positive number') } : {}),
      ...(lambdas !== undefined ? { lambdaInit: lambdas.length === 1 ? lambdas[0] : lambdas } : {}),
      ...(f.seed !== undefined ? { seed: integerOption('seed', f.seed, 0, 0) } : {}),
      bound: c.method,
    },
    { model: 'model', onnx: 'layout', latentOutput: 'latent-output' },
  );
}

export async function runPretrainedCommand(c: RetrainHeadCommand, path: string): Promise<number> {
  const { db, info, flags, out } = c;
  const runId = insertRun(db, preparePretrainedRun(db, requestOf(c, path)));
  const printIteration = iterationPrinter(flags, out);
  let qsa: QsaResult | null = null;
  const abort = new AbortController();
  const onSigint = (): void => {
    out.stderr(`cancelling run ${runId} …`);
    abort.abort('cancelled by the user (Ctrl-C)');
  };
  process.on('SIGINT', onSigint);
  try {
    await executeRun(db, runId, {
      signal: abort.signal,
      pretrainedBody: pretrainedBodyPort,
      onEvent: (event) => {
        if (event.type === 'iteration') printIteration(event);
      },
      onQsaResult: (result) => (qsa = result),
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  const run = getRun(db, runId)!;
  const body = run.result?.pretrainedBody;
  if ((run.status !== 'passed' && run.status !== 'nsf') || !qsa || !body || !run.result || run.result.latentDim === null) {
    out.stderr(`${run.status === 'cancelled' ? `run ${runId} was cancelled` : `error: run ${runId} failed`}: ${run.error ?? run.status}`);
    return 1;
  }
  const s = run.settings;
  const source = s.pretrained!;
  const backendName = source.kind === 'onnx' ? body.computedBy : (run.backend?.name ?? '?');
  if (!flags.quiet && !flags.json) {
    if (source.kind === 'onnx') out.stderr(`latent features: '${body.cutAt}' (${run.result.latentDim}-d) on ${body.computedBy}`);
    else if (run.backend) out.stderr(`backend: ${run.backend.name} (${describeLoaded(run.backend)})`);
  }
  const groupAccuracy = run.result.groupAccuracy;
  printRetrainedHead(
    {
      info,
      sourceText: source.kind === 'onnx' ? `model ${source.path} (cut at '${body.cutAt}')` : `model ${source.path}`,
      backendName,
      backendText: source.kind === 'onnx' ? body.computedBy : `backend ${backendName}`,
      latentDim: run.result.latentDim,
      replacedHead: body.replacedHead,
      nOutputs: s.numClasses === 2 ? 1 : s.numClasses,
      nCandidate: run.nCandidate,
      nSafety: run.nSafety,
      nRows: run.nRows,
      // The engine's split of the stored order: which rows trained a model file is unknown.
      rows: { order: Int32Array.from({ length: run.nRows }, (_, i) => i), nCandidate: run.nCandidate, fracSafety: s.fracSafety, ofRun: null },
      settings: { fracSafety: s.fracSafety, iterations: s.qsa.numIters ?? 0, alphaTheta: s.qsa.alphaTheta, alphaLambda: s.qsa.alphaLambda, lambdaInit: s.qsa.lambdaInit, seedFlag: run.seed, bound: runBoundMethod(s), kernel: body.kernel },
      groupAccuracy: groupAccuracy ? { of: groupAccuracy.of, groups: groupAccuracy.groups } : null,
      result: qsa,
      constraints: compileRunConstraints(run.constraints, info.sensitiveColumns, s.numClasses),
      timings: { latents: run.timings.latents ?? 0, candidate_selection: run.timings.candidate_selection ?? 0, safety_test: run.timings.safety_test ?? 0 },
      pretrained: true,
      runId,
    },
    flags,
    out,
  );
  return 0;
}
