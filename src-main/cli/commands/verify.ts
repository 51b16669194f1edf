/**
 * `fairbound verify <certificate.json> --model <file> --dataset D`: recomputes a certificate's safety
 * test or audit from the files (src-main/certificate/verify.ts) and says whether every hash and number
 * matches (exit 0) or which do not (exit 1).
 */
import { parseArgs } from 'node:util';
import { CERTIFICATE_RELATIVE_TOLERANCE } from '../../../src-shared/contract/schemas';
import { readCertificateFile } from '../../certificate/read';
import { verifyCertificate } from '../../certificate/verify';
import { openWorkspace, resolveDatabasePath } from '../../store/database';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';
import { backendOption, inProcessPredictor } from './certificate';
import { resolveDataset } from './datasets';

export const verifyHelp = `fairbound verify <certificate.json> --model <file> --dataset <name|id> [--db <file>] [--backend auto|tensorflow|wasm|cpu] [--json]
  Recomputes what a certificate (\`fairbound run certificate\`, \`fairbound audit --certificate\`) states
  from the files: the SHA-256 of the settings, of each model file (--model: the TF.js model.json with its
  weights next to it, e.g. from \`fairbound run export-model\`; the ONNX file; or the predictions CSV of a
  predictions audit) and of the certified rows of --dataset (README, "Certificates": their byte layout);
  then runs the model on those rows (the certificate's resize and backend unless --backend) and bounds every
  constraint again. A run's model verifies in either form it was certified in: its TF.js export, or its
  ONNX export (\`run export-model <id> --format onnx\`, a .onnx file), which ONNX Runtime runs (the only
  form of a pretrained run on an ONNX model, fed with the pre-processing the certificate records; one on a
  TF.js model has only its TF.js export). Hashes and verdicts must match exactly, numbers within ${CERTIFICATE_RELATIVE_TOLERANCE.toExponential()}
  relative (|a − b| ≤ ${CERTIFICATE_RELATIVE_TOLERANCE.toExponential()} · max(1, |a|, |b|)).
  Exit 0 when everything matches, 1 when something does not (each mismatch is named), 2 for bad input
  (an unreadable or malformed certificate: the line and column, the field, or an unknown version).`;

export async function runVerifyCommand(args: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { model: { type: 'string' }, dataset: { type: 'string' }, db: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give the certificate file' : `unexpected argument '${positionals[1]}'`);
  if (values.model === undefined) throw new UsageError('verify needs --model <file>: the model (or predictions file) the certificate names');
  if (values.dataset === undefined) throw new UsageError('verify needs --dataset <name|id>: the dataset holding the certified rows');
  const backend = values.backend === undefined ? undefined : backendOption(values.backend, 'auto');
  const read = readCertificateFile(positionals[0]);
  const db = openWorkspace(resolveDatabasePath(values.db));
  try {
    const info = resolveDataset(db, values.dataset);
    const outcome = await verifyCertificate({ read, db, datasetId: info.id, modelPath: values.model, certificateFile: positionals[0], predict: inProcessPredictor(db), ...(backend ? { backend } : {}) });
    const mismatches = outcome.checks.filter((c) => !c.ok);
    if (values.json) {
      out.stdout(stringifyJson({ ok: outcome.ok, checks: outcome.checks.length, mismatches, tolerance: CERTIFICATE_RELATIVE_TOLERANCE }));
    } else if (outcome.ok) {
      const cert = read.certificate;
      out.stdout(
        `verified: all ${outcome.checks.length} checks match (${cert.kind === 'run' ? `run ${cert.safetyTest?.runId}'s safety test` : 'the audit'}, ${cert.constraints.length} constraint(s), ${cert.rows.count} rows; hashes exact, numbers within ${CERTIFICATE_RELATIVE_TOLERANCE.toExponential()} relative)`,
      );
    } else {
      out.stdout(
        [`NOT verified: ${mismatches.length} of ${outcome.checks.length} checks do not match`, ...mismatches.map((c) => `  ${c.what}: certificate ${c.certified}, recomputed ${c.recomputed}`)].join('\n'),
      );
    }
    return outcome.ok ? 0 : 1;
  } finally {
    db.close();
  }
}
