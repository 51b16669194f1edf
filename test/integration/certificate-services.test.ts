/**
 * The app's certificate routes, through `createServices` with the real training worker:
 * - the certificate service's module graph reaches no @tensorflow/* module (the run's model is exported,
 *   hashed and run in the worker, never in the app's main process);
 * - certificates.run of a passed run returns the certificate (and writes it when asked; an existing file
 *   is a `conflict` unless overwrite), and `fairbound verify` accepts it against the exported model, in
 *   the TF.js format and as ONNX (the worker hashed both);
 * - certificates.audit of audit.run's input and result (a TF.js model file) verifies the same way;
 * - certificates.run of a run that did not pass is refused as bad input.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateWritten } from '../../src-shared/contract';
import { runCli } from '../../src-main/cli/main';
import type { CliOutput } from '../../src-main/cli/output';
import { openWorkspace } from '../../src-main/store/database';
import { writeDenseModel } from '../support/dense-model';
import { value, withServices } from '../support/services';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { BANDS_RATIO, runTinyHeadRun } from '../support/tiny-run';

let dir: string, dbPath: string, runId: number;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const out: CliOutput = { stdout: (t) => void (stdout += `${t}\n`), stderr: (t) => void (stderr += `${t}\n`) };
  const code = await runCli([...args, '--db', dbPath], out);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-certificate-services-'));
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  try {
    insertSyntheticImageDataset(db, { name: 'bands', n: 200, size: 16, numClasses: 2, seed: 3 });
  } finally {
    db.close();
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the certificate routes', () => {
  // First: the tests below load TensorFlow.js in this process (the tiny run, the CLI's verify).
  it('keep TensorFlow.js out of the certificate service’s module graph', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const result = await build({
      entryPoints: [join(root, 'src-main/services/certificate.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      outdir: join(root, 'out/tmp-graph-check'),
      logLevel: 'silent',
    });
    const inputs = Object.entries(result.metafile.inputs);
    const tfImports = inputs.flatMap(([file, input]) => input.imports.filter((i) => i.path.startsWith('@tensorflow/')).map((i) => `${file} → ${i.path} (${i.kind})`));
    expect(tfImports).toEqual([]);
    expect(Object.keys(result.metafile.inputs)).toEqual(expect.arrayContaining(['src-main/certificate/build.ts', 'src-main/audit/model-files.ts']));
  }, 30_000);

  it('certificates.run writes a passed run’s certificate that verify accepts; an existing file is a conflict', async () => {
    const db = openWorkspace(dbPath);
    try {
      const tiny = await runTinyHeadRun(db);
      expect(tiny.status).toBe('passed');
      runId = tiny.runId;
    } finally {
      db.close();
    }
    const out = join(dir, 'run.json');
    await withServices({ dbPath }, async (services) => {
      const written = (await value(services, 'certificates.run', { runId, out })) as CertificateWritten;
      expect(written.written).toBe(out);
      expect(written.fileName).toBe(`fairbound-run-${runId}-certificate.json`);
      expect(readFileSync(out, 'utf8')).toBe(written.json);
      const again = await services.invoke('certificates.run', { runId, out });
      expect(again.ok ? null : again.error.code).toBe('conflict');
      const overwritten = await services.invoke('certificates.run', { runId, out, overwrite: true });
      expect(overwritten.ok).toBe(true);
    });
    const modelDir = join(dir, 'run-model');
    expect((await cli('run', 'export-model', String(runId), '--out', modelDir)).code).toBe(0);
    const verified = await cli('verify', out, '--model', join(modelDir, 'model.json'), '--dataset', 'bands');
    expect(verified.stdout).toMatch(/^verified/);
    expect(verified.code).toBe(0);
    // The worker hashed the ONNX export too: the .onnx file verifies as well.
    const onnxFile = join(dir, 'run-model.onnx');
    expect((await cli('run', 'export-model', String(runId), '--format', 'onnx', '--out', onnxFile)).code).toBe(0);
    const cert = JSON.parse(readFileSync(out, 'utf8')) as { model: { onnx?: { sha256: string } } };
    expect(cert.model.onnx?.sha256).toBe(createHash('sha256').update(readFileSync(onnxFile)).digest('hex'));
    const verifiedOnnx = await cli('verify', out, '--model', onnxFile, '--dataset', 'bands');
    expect(verifiedOnnx.stdout).toMatch(/^verified/);
    expect(verifiedOnnx.code).toBe(0);
  }, 180_000);

  it('certificates.audit certifies audit.run’s result without writing a file unless asked', async () => {
    const modelJson = writeDenseModel(join(dir, 'dense'), [16, 16, 1], 2);
    const input = { datasetId: 1, source: { kind: 'model', path: modelJson, backend: 'wasm' }, constraints: [{ source: BANDS_RATIO, delta: 0.1 }, { source: 'ACC >= 0.4', delta: 0.05 }], mode: { kind: 'soft' }, bound: 'exact', rows: { kind: 'safety', fracSafety: 0.4 } };
    let written: CertificateWritten | undefined;
    await withServices({ dbPath }, async (services) => {
      const result = await value(services, 'audit.run', input);
      written = (await value(services, 'certificates.audit', { input, result })) as CertificateWritten;
    });
    expect(written!.written).toBeNull();
    expect(existsSync(join(dir, written!.fileName))).toBe(false);
    const file = join(dir, written!.fileName);
    writeFileSync(file, written!.json);
    const verified = await cli('verify', file, '--model', modelJson, '--dataset', 'bands');
    expect(verified.stdout).toMatch(/^verified/);
    expect(verified.code).toBe(0);
  }, 120_000);

  it('certificates.run refuses a run that did not pass', async () => {
    const db = openWorkspace(dbPath);
    try {
      db.prepare("UPDATE run SET status = 'nsf' WHERE id = ?").run(runId);
    } finally {
      db.close();
    }
    await withServices({ dbPath }, async (services) => {
      const reply = await services.invoke('certificates.run', { runId });
      expect(reply.ok ? null : reply.error.message).toBe(`run ${runId} is nsf: only a passed run has a Seldonian model to certify (an audit can certify any model)`);
    });
  });
});
