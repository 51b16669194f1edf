/**
 * Comparing the app's audit.run with `fairbound audit --json` on the same inputs (the bridge audit tests):
 * the CLI run in this process, and a comparison to 12 digits of every verdict, bound and base node.
 */
import { expect } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import type { CliOutput } from '../../src-main/cli/output';

export interface CliNode { n: number; mean: number | string; lower: number | string; upper: number | string }
export interface CliAudit { constraints: Array<{ gUpper: number | string; gLower: number | string; gPoint: number | string; verdict: string; baseNodes: CliNode[] }> }
export interface ServiceAudit {
  rows: { which: string; start: number; end: number; ofRun?: number };
  source?: string;
  backend?: string;
  constraints: Array<{ gUpper: number | string; gLower: number | string; gPoint: number | string; verdict: string; baseNodes: Array<{ n: number; mean: number | string; lower: number | string; upper: number | string }> }>;
}

/** `fairbound audit --json` in this process (exit code 0 expected). */
export async function cliAudit(args: readonly string[]): Promise<CliAudit> {
  let stdout = '', stderr = '';
  const out: CliOutput = { stdout: (t) => void (stdout += `${t}\n`), stderr: (t) => void (stderr += `${t}\n`) };
  const code = await runCli(['audit', '--json', ...args], out);
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as CliAudit;
}

/** Equal to 12 digits; non-finite values travel as 'inf' / '-inf' / 'nan' on both sides. */
function close(a: number | string, b: number | string): void {
  if (typeof a === 'string' || typeof b === 'string') expect(a).toBe(b);
  else expect(a).toBeCloseTo(b, 12);
}

/** The service's audit and the CLI's agree on every verdict, g bound and base-node interval. */
export function sameAudit(service: ServiceAudit, cli: CliAudit): void {
  expect(service.constraints).toHaveLength(cli.constraints.length);
  service.constraints.forEach((c, i) => {
    const d = cli.constraints[i];
    expect(c.verdict).toBe(d.verdict);
    close(c.gUpper, d.gUpper);
    close(c.gLower, d.gLower);
    close(c.gPoint, d.gPoint);
    expect(c.baseNodes).toHaveLength(d.baseNodes.length);
    c.baseNodes.forEach((n, j) => {
      expect(n.n).toBe(d.baseNodes[j].n);
      close(n.mean, d.baseNodes[j].mean);
      close(n.upper, d.baseNodes[j].upper);
      close(n.lower, d.baseNodes[j].lower);
    });
  });
}
