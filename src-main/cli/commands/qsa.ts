import { parseArgs } from 'node:util';
import { BOUND_METHODS, qsaBoundLabel, type BoundMethod } from '../../../src-shared/domain/qsa';
import { runQsaCase } from '../../engine/run-case';
import type { QsaReport } from '../../engine/report';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';

export const qsaHelp = `fairbound qsa --spec <case>/spec.json [--data <csv|csv.gz>] [--metadata <json>] [--theta-init <json>]
               [--iterations N] [--bound student-t|hoeffding|exact] [--json]
  Runs the quasi-Seldonian algorithm on a case in the format of the Seldonian golden fixtures: candidate
  selection on the first rows, the safety test on the rest. Prints the verdict (the model, or No Solution
  Found). With --json: one JSON object shaped like the fixtures' expected.json ("inf"/"-inf"/"nan" for
  non-finite numbers). --iterations overrides num_iters (full-batch runs; mini-batch runs do
  n_epochs × batches iterations). --bound picks the bound of the safety test and of candidate
  selection's prediction of it: student-t (default, the engine's: approximate), hoeffding (Hoeffding's
  inequality) or exact (the betting bound on the safety rows in their order); the last two are valid
  without approximation for estimators in [0, 1], which every measure on probabilities is. Exit 0 when the algorithm ran (passed or NSF), 2 for bad input, 1 for a failure.`;

function parseIterations(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--iterations must be a positive integer, got '${raw}'`);
  return n;
}

function parseBound(raw: string | undefined): BoundMethod {
  const method = BOUND_METHODS.find((m) => m === raw);
  if (method === undefined) throw new UsageError(`--bound must be ${BOUND_METHODS.join(', ')}, got '${raw}'`);
  return method;
}

function summarise(report: QsaReport): string {
  const cs = report.candidate_selection;
  const lines = [
    `rows: ${report.n_candidate} candidate, ${report.n_safety} safety`,
    `bound: ${qsaBoundLabel(report.bound_method)}`,
    `candidate selection: ${cs.iterations_run}/${cs.iterations_planned} iterations, ` +
      (report.cs_returned_nsf
        ? 'stopped on a NaN/infinite value (No Solution Found)'
        : `chose iterate ${cs.chosen_index} (${cs.found_feasible_solution ? 'predicted feasible' : 'none predicted feasible; smallest ‖g‖'})`),
  ];
  if (report.safety_test) {
    report.constraint_strs_parsed.forEach((c, i) => {
      const upper = report.safety_test!.upper_bounds[i];
      lines.push(`  ${c}: safety upper bound ${upper} ${upper <= 0 ? '≤ 0 ✓' : '> 0 ✗'}`);
    });
  }
  lines.push(report.passed_safety ? 'verdict: PASSED — solution returned' : `verdict: No Solution Found${report.outcome.message ? ` (${report.outcome.message})` : ''}`);
  if (report.solution) lines.push(`θ = ${JSON.stringify(report.solution)}`);
  lines.push(`time: ${report.timings_s.engine_total.toFixed(3)} s`);
  return lines.join('\n');
}

export function runQsaCommand(args: string[], out: CliOutput): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      spec: { type: 'string' },
      data: { type: 'string' },
      metadata: { type: 'string' },
      'theta-init': { type: 'string' },
      iterations: { type: 'string' },
      bound: { type: 'string', default: 'student-t' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.spec) throw new UsageError('qsa needs --spec <case>/spec.json');
  const run = runQsaCase(values.spec, {
    data: values.data,
    metadata: values.metadata,
    thetaInit: values['theta-init'],
    iterations: parseIterations(values.iterations),
    bound: parseBound(values.bound),
  });
  out.stdout(values.json ? stringifyJson(run.report) : summarise(run.report));
  return 0;
}
