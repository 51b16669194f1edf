import { renderCaret } from '../../src-shared/constraint';
import { BoundingError } from '../../src-shared/bounds/interval';
import { InputError } from '../errors/input-error';
import { ConstraintCompileError } from '../errors/constraint-compile-error';
import { auditHelp, runAuditCommand } from './commands/audit';
import { backendsHelp, runBackendsCommand } from './commands/backends';
import { runCertificateHelp } from './commands/certificate';
import { datasetsHelp, runDatasetsCommand } from './commands/datasets';
import { experimentHelp, experimentsHelp, runExperimentCommand, runExperimentsCommand } from './commands/experiment';
import { importHelp, runImportCommand } from './commands/import';
import { parseHelp, runParseCommand } from './commands/parse';
import { qsaHelp, runQsaCommand } from './commands/qsa';
import { reportHelp, runReportCommand } from './commands/report';
import { runHelp, runRunCommand, runRunsCommand, runsHelp } from './commands/runs';
import { runSampleCommand, sampleHelp } from './commands/sample';
import { runServeCommand, serveHelp } from './commands/serve';
import { runTrainCommand, trainHelp } from './commands/train';
import { runVerifyCommand, verifyHelp } from './commands/verify';
import { processOutput, type CliOutput } from './output';
import { UsageError } from './usage-error';

interface Command {
  readonly summary: string;
  readonly help: string;
  run(args: string[], out: CliOutput): number | Promise<number>;
}

const commands: Record<string, Command> = {
  qsa: { summary: 'run the quasi-Seldonian algorithm on a case (spec.json + data)', help: qsaHelp, run: runQsaCommand },
  parse: { summary: 'parse a constraint and show g, base nodes and δ shares', help: parseHelp, run: runParseCommand },
  import: { summary: 'import a dataset (image folder, pixel CSV, IDX, Seldonian CSV) into the workspace', help: importHelp, run: runImportCommand },
  audit: { summary: "bound each constraint for an existing model (predictions, a TF.js model or a run): holds / violated / inconclusive", help: auditHelp, run: runAuditCommand },
  datasets: { summary: 'list, show (group counts, warnings) or delete imported datasets', help: datasetsHelp, run: runDatasetsCommand },
  experiment: { summary: 'run a Seldonian experiment (QSA vs baselines over data fractions × trials); show, export, plot it', help: experimentHelp, run: runExperimentCommand },
  experiments: { summary: 'list the experiments with their status and stored trials', help: experimentsHelp, run: runExperimentsCommand },
  backends: { summary: 'show which TensorFlow.js backend loads (tfjs-node-gpu, tfjs-node, wasm, cpu) and why', help: backendsHelp, run: (args, out) => runBackendsCommand(args, out) },
  sample: { summary: 'create the sample workspace (2,000 Fashion-MNIST images, dark/light groups, a saved constraint)', help: sampleHelp, run: runSampleCommand },
  serve: { summary: 'run the UI in a browser: serves the app and its API on 127.0.0.1 with an access token', help: serveHelp, run: runServeCommand },
  train: { summary: 'train a CNN under fairness constraints (body/head or full-model QSA) and store the run', help: trainHelp, run: runTrainCommand },
  runs: { summary: 'list the training runs with their status and verdict', help: runsHelp, run: runRunsCommand },
  report: { summary: 'write a self-contained HTML (and PDF) audit report of a run or an experiment', help: reportHelp, run: runReportCommand },
  run: { summary: "show a training run (bounds, iteration log), export its model or latent features, certify it, cancel it", help: `${runHelp}\n${runCertificateHelp}`, run: runRunCommand },
  verify: { summary: 'recompute a certificate (a run\'s safety test or an audit) from the model file and the dataset: every hash and number must match', help: verifyHelp, run: runVerifyCommand },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'fairbound — train and audit classifiers under fairness constraints with high-confidence guarantees',
    '',
    'usage: fairbound <command> [options]      (fairbound <command> --help for details)',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'logs: --log-level error|warn|info|debug (anywhere) prints log lines at that level to stderr; with $FAIRBOUND_LOG_DIR set,',
    '      cli.log there records them (info and above by default)',
    'exit codes: 0 success (a No Solution Found verdict is a success), 1 a reported failure, 2 bad usage or input',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function runCli(argv: string[], out: CliOutput = processOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out.stdout(mainHelp());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    out.stderr(`error: unknown command '${name}'\n\n${mainHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out.stdout(command.help);
    return 0;
  }
  try {
    return await command.run(rest, out);
  } catch (error) {
    return reportError(error, command, out);
  }
}

function reportError(error: unknown, command: Command, out: CliOutput): number {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    out.stderr(`error: ${error.message}\n\n${command.help}`);
    return 2;
  }
  if (error instanceof InputError) {
    out.stderr(`error: ${error.message}`);
    return 2;
  }
  if (error instanceof ConstraintCompileError) {
    out.stderr(`error: ${error.message}\n${renderCaret(error.error)}`);
    return 2;
  }
  if (error instanceof BoundingError) {
    out.stderr(`error: the run failed: ${error.message}`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  out.stderr(`error: internal failure: ${message}`);
  if (process.env.FAIRBOUND_DEBUG && error instanceof Error && error.stack) out.stderr(error.stack);
  return 1;
}
