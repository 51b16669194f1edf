/**
 * Certificates (src-main/certificate) as use-cases: the app's certificates.audit and certificates.run
 * routes, and the writing step `fairbound audit --certificate` and `fairbound run certificate` share. A
 * model is run (a run's safety rows, or only exported and hashed) by the caller's predictor: the app's in
 * the training worker, so TensorFlow.js never loads in its main process; the CLI's in its own process.
 */
import type { Certificate, CertificateWritten } from '../../src-shared/contract/schemas';
import { buildAuditCertificate, buildRunCertificate, certificateFileName, certificateJson, type CertificateEnvironment } from '../certificate/build';
import { refuseExisting, TargetExistsError, writeFileSafely, type SafeWriteOptions } from '../data/safe-write';
import { InputError } from '../errors/input-error';
import type { Handler, ServiceContext } from './context';

function appEnvironment(ctx: ServiceContext): CertificateEnvironment {
  return { db: ctx.db, version: ctx.version, predict: (request) => ctx.deepWorker().predictAudit(ctx.dbPath, request) };
}

/** The certificate as JSON, written to `out` when given (through a temporary file and a rename). */
export function writeCertificate(value: Certificate, out: string | undefined, options: SafeWriteOptions): CertificateWritten {
  const json = certificateJson(value);
  if (out !== undefined) {
    try {
      writeFileSafely(out, json, options);
    } catch (error) {
      if (error instanceof TargetExistsError) throw error;
      const reason = error instanceof Error && 'code' in error ? String(error.code) : error instanceof Error ? error.message : String(error);
      throw new InputError(`cannot write the certificate (${reason})`, { file: out });
    }
  }
  return { fileName: certificateFileName(value), json, written: out ?? null };
}

export const auditCertificateHandler: Handler<'certificates.audit'> = async (input, ctx) => {
  // An existing file is refused before any work, unless the user chose to overwrite it.
  const options = { overwrite: input.overwrite ?? false };
  if (input.out !== undefined) refuseExisting([input.out], options);
  const value = await buildAuditCertificate(appEnvironment(ctx), input.input, input.result, { backend: 'auto', resize: null });
  return writeCertificate(value, input.out, options);
};

export const runCertificateHandler: Handler<'certificates.run'> = async (input, ctx) => {
  const options = { overwrite: input.overwrite ?? false };
  if (input.out !== undefined) refuseExisting([input.out], options);
  const value = await buildRunCertificate(appEnvironment(ctx), input.runId, 'auto');
  return writeCertificate(value, input.out, options);
};
