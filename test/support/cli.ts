import { runCli } from '../../src-main/cli/main';
import type { CliOutput } from '../../src-main/cli/output';

/** Runs the `fairbound` command in this process, each output line captured with its newline. */
export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const out: CliOutput = { stdout: (t) => void (stdout += `${t}\n`), stderr: (t) => void (stderr += `${t}\n`) };
  const code = await runCli(args, out);
  return { code, stdout, stderr };
}
