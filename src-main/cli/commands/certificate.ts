/**
 * `fairbound run certificate <id> --out <file>`: a passed run's certificate (src-main/certificate), its
 * Seldonian model run in this process on the --backend chain. Also the CLI's certificate environment,
 * which `fairbound audit --certificate` and `fairbound verify` share.
 */
import { parseArgs } from 'node:util';
import packageJson from '../../../package.json';
import type { BackendPreference } from '../../../src-shared/contract/schemas';
import { predictAuditRows } from '../../audit/model-audit';
import { buildRunCertificate, type CertificateEnvironment } from '../../certificate/build';
import type { CertificatePredictor } from '../../certificate/compute';
import { BACKEND_PREFERENCES } from '../../deep/backend-types';
import { refuseExisting } from '../../data/safe-write';
import { writeCertificate } from '../../services/certificate';
import { openWorkspace, resolveDatabasePath, type ReadableDB } from '../../store/database';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { FORCE_OPTION, refusingExisting } from '../overwrite';
import { UsageError } from '../usage-error';

export const runCertificateHelp = `fairbound run certificate <id> --out <file.json> [--backend auto|tensorflow|wasm|cpu] [--force] [--db <file>] [--json]
  certificate: a passed run's certificate (README, "Certificates"): its Seldonian model, as
    \`fairbound run export-model <id>\` writes it, is run on the run's safety rows and the safety test's
    Student-t bounds are recomputed from its probabilities; the file records them with the SHA-256 of the
    model's files (its TF.js export, and its ONNX export as \`--format onnx\` writes it), of the safety rows
    and of the settings. Check it with \`fairbound verify\` and either form of the model. A pretrained run
    has one form: on an ONNX model its ONNX export (the source graph cut at its latent features with the
    run's head), hashed and run with the run's pre-processing; on a TF.js model its TF.js export (the source
    model cut before its last dense layer with the run's head).`;

/** The model run in this process (TF.js on the backend chain). */
export const inProcessPredictor =
  (db: ReadableDB): CertificatePredictor =>
  (request) =>
    predictAuditRows(db, request);

export function cliCertificateEnvironment(db: ReadableDB): CertificateEnvironment {
  return { db, predict: inProcessPredictor(db), version: packageJson.version };
}

export function backendOption(raw: string | undefined, fallback: BackendPreference): BackendPreference {
  const backend = (raw ?? fallback) as BackendPreference;
  if (!BACKEND_PREFERENCES.includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_PREFERENCES.join(', ')}, got '${raw}'`);
  return backend;
}

/** `run certificate <id> …` (args after `certificate`). */
export async function runCertificateCommand(args: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string' }, backend: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean', default: false }, ...FORCE_OPTION },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give the run id' : `unexpected argument '${positionals[1]}'`);
  const id = Number(positionals[0]);
  if (!Number.isSafeInteger(id) || id < 1) throw new UsageError(`run id must be a positive integer, got '${positionals[0]}'`);
  if (values.out === undefined) throw new UsageError('run certificate needs --out <file.json>');
  const file = values.out;
  const backend = backendOption(values.backend, 'auto');
  const options = { overwrite: values.force };
  await refusingExisting(() => refuseExisting([file], options));
  const db = openWorkspace(resolveDatabasePath(values.db));
  try {
    const value = await buildRunCertificate(cliCertificateEnvironment(db), id, backend);
    await refusingExisting(() => writeCertificate(value, file, options));
    const passed = value.safetyTest?.passed ?? false;
    out.stdout(
      values.json
        ? stringifyJson({ run: id, out: file, passed, model: value.model, rows: { count: value.rows.count, sha256: value.rows.sha256 }, settingsSha256: value.settingsSha256 })
        : [
            `wrote ${file}: run ${id}, ${value.constraints.length} constraint(s) on ${value.rows.count} safety rows, safety test ${passed ? 'passed' : 'NOT passed'} as recomputed from the exported model`,
            ...value.model.files.map((f) => `  ${f.name}  sha256 ${f.sha256}`),
            ...(value.model.onnx ? [`  ${value.model.onnx.name} (ONNX export)  sha256 ${value.model.onnx.sha256}`] : []),
            `  rows      sha256 ${value.rows.sha256}`,
            `  settings  sha256 ${value.settingsSha256}`,
            // A pretrained run on an ONNX model exists only as its ONNX export (one file).
            value.model.format === 'single-file'
              ? `check it: fairbound run export-model ${id} --format onnx --out <file.onnx> && fairbound verify ${file} --model <file.onnx> --dataset '${value.dataset.name}'`
              : `check it: fairbound run export-model ${id} --out <dir> && fairbound verify ${file} --model <dir>/model.json --dataset '${value.dataset.name}'`,
            ...(value.model.onnx ? [`      or: fairbound run export-model ${id} --format onnx --out <file.onnx> && fairbound verify ${file} --model <file.onnx> --dataset '${value.dataset.name}'`] : []),
          ].join('\n'),
    );
    return 0;
  } finally {
    db.close();
  }
}
