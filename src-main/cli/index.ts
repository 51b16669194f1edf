import { startCliLog } from './log-options';
import { runCli } from './main';
import { processOutput } from './output';

let argv: string[];
try {
  argv = startCliLog(process.argv.slice(2));
} catch (error) {
  processOutput.stderr(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
process.exitCode = await runCli(argv);
