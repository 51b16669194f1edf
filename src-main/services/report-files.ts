/**
 * Writing a rendered HTML report, and its PDF when asked, for the report routes (runs, experiments,
 * audits): existing files are refused unless overwritten, and a failure names the file and the OS's reason.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TargetExistsError, writeFileSafely } from '../data/safe-write';
import { InputError } from '../errors/input-error';
import { ServiceError } from '../errors/reported-error';

/** The OS's reason (ENOENT, EACCES, …) without the path, which the InputError names itself. */
function ioReason(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    const reasons: Record<string, string> = { ENOENT: 'its folder does not exist', ENOTDIR: 'a part of its folder is not a folder', EACCES: 'permission denied', EPERM: 'permission denied', EISDIR: 'it is a folder', EROFS: 'read-only file system' };
    return reasons[error.code] ?? error.code;
  }
  return error instanceof Error ? error.message : String(error);
}

export interface ReportFileOptions {
  readonly overwrite: boolean;
  /** Create the HTML file's folder first (the run page writes into a folder it names); else a missing folder is an error. */
  readonly createFolder?: boolean;
}

/** Writes `html` to `out` and, when `pdf` is given, prints it there through chromium. */
export async function writeReportFiles(html: string, out: string, pdf: string | undefined, options: ReportFileOptions): Promise<{ html: string; pdf: string | null }> {
  const { overwrite } = options;
  try {
    if (options.createFolder) mkdirSync(dirname(out), { recursive: true });
    writeFileSafely(out, html, { overwrite });
  } catch (error) {
    if (error instanceof TargetExistsError) throw error;
    throw new InputError(`cannot write the HTML report (${ioReason(error)})`, { file: out });
  }
  if (pdf === undefined) return { html: out, pdf: null };
  const { ChromiumMissingError, printPdf } = await import('../report/pdf');
  try {
    await printPdf(html, pdf, { overwrite });
  } catch (error) {
    if (error instanceof TargetExistsError) throw error;
    if (error instanceof ChromiumMissingError) throw new ServiceError('not_available', `${error.message} (the HTML report was written to ${out})`);
    throw new InputError(`cannot print the PDF report (${ioReason(error)}); the HTML report was written to ${out}`, { file: pdf });
  }
  return { html: out, pdf };
}
