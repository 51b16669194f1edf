/**
 * Certificates end to end through the CLI, on a tiny stored head run and a tiny TF.js model (wasm):
 * - `fairbound run certificate` of a passed run, checked by `fairbound verify` against the model that
 *   `fairbound run export-model` writes: every hash and number matches (exit 0), the certified upper
 *   bound is the run's own safety-test bound (its head in float64 there, float32 here: within 1e-4), and
 *   the model's hashes are the SHA-256 of the exported files;
 * - the same certificate hashes the run's ONNX export (byte-identical on every export), and verify runs
 *   that .onnx file through ONNX Runtime to the same numbers; one changed weight is named by its hash; a
 *   version 1 certificate (no ONNX hash) still verifies the TF.js files and refuses a .onnx precisely;
 * - `fairbound audit … --certificate` of a model file and of a run's model, verified the same way;
 * - verify fails (exit 1) naming what differs: a changed weight byte (the model file's hash), one
 *   changed pixel of one certified row (the rows' hash), an edited bound (that number);
 * - a malformed certificate is bad input (exit 2) naming the line and column, the field or the version.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { onnx } from '../../src-main/deep/onnx/proto';
import type { CliOutput } from '../../src-main/cli/output';
import { buildModel } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { saveModel } from '../../src-main/deep/export';
import { openWorkspace } from '../../src-main/store/database';
import { getRunConstraints } from '../../src-main/store/run-results';
import { BANDS_RATIO, runTinyHeadRun, TINY_AUDIT_CNN } from '../support/tiny-run';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';

let dir: string, dbPath: string, runId: number, runModelDir: string, runOnnx: string, fileModelDir: string, runCertificate: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const out: CliOutput = { stdout: (t) => void (stdout += `${t}\n`), stderr: (t) => void (stderr += `${t}\n`) };
  const code = await runCli(args, out);
  return { code, stdout, stderr };
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'fairbound-certificate-'));
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  try {
    insertSyntheticImageDataset(db, { name: 'bands', n: 200, size: 16, numClasses: 2, seed: 3 });
    const tiny = await runTinyHeadRun(db);
    expect(tiny.status).toBe('passed');
    runId = tiny.runId;
  } finally {
    db.close();
  }
  // An untrained tiny CNN as a TF.js model file: an audit certifies any model.
  const model = buildModel(TINY_AUDIT_CNN, { numClasses: 2, seed: 4, inputShape: [16, 16, 1] });
  fileModelDir = join(dir, 'file-model');
  await saveModel(model, fileModelDir);
  model.dispose();

  runModelDir = join(dir, 'run-model');
  expect((await cli('run', 'export-model', String(runId), '--out', runModelDir, '--db', dbPath)).code).toBe(0);
  runOnnx = join(dir, 'run-model.onnx');
  expect((await cli('run', 'export-model', String(runId), '--format', 'onnx', '--out', runOnnx, '--db', dbPath)).code).toBe(0);
  runCertificate = join(dir, 'run-certificate.json');
  const written = await cli('run', 'certificate', String(runId), '--out', runCertificate, '--backend', 'wasm', '--db', dbPath);
  expect(written.stderr).toBe('');
  expect(written.code).toBe(0);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a run certificate', () => {
  it('records the exported files, the run\'s safety rows and its own safety-test bound', () => {
    const cert = readJson(runCertificate) as {
      kind: string;
      model: { format: string; files: { name: string; sha256: string }[] };
      rows: { count: number; selection: { kind: string } };
      safetyTest: { passed: boolean; runId: number };
      constraints: { source: string; gUpper: number; verdict: string }[];
      settings: { bound: string; mode: { kind: string } };
    };
    expect(cert.kind).toBe('run');
    expect(cert.model.format).toBe('tfjs-layers');
    expect(cert.model.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin']);
    expect(cert.model.files[0].sha256).toBe(sha256(join(runModelDir, 'model.json')));
    expect(cert.model.files[1].sha256).toBe(sha256(join(runModelDir, 'weights.bin')));
    expect(cert.settings).toMatchObject({ bound: 'student-t', mode: { kind: 'soft' } });
    const db = openWorkspace(dbPath);
    try {
      const stored = getRunConstraints(db, runId);
      expect(cert.constraints.map((c) => c.source)).toEqual([BANDS_RATIO]);
      expect(Math.abs(cert.constraints[0].gUpper - stored[0].upperBound!)).toBeLessThan(1e-4);
      expect(cert.rows.count).toBe(db.prepare('SELECT n_safety FROM run WHERE id = ?').pluck().get(runId));
    } finally {
      db.close();
    }
    expect(cert.safetyTest).toEqual(expect.objectContaining({ runId, passed: true }));
    expect(cert.constraints[0].verdict).toBe('holds');
  });

  it('verifies against the exported model and the dataset', async () => {
    const result = await cli('verify', runCertificate, '--model', join(runModelDir, 'model.json'), '--dataset', 'bands', '--db', dbPath);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^verified: all \d+ checks match/);
    expect(result.code).toBe(0);
  });

  it('fails naming the model file when one weight byte changes', async () => {
    const changed = join(dir, 'changed-model');
    cpSync(runModelDir, changed, { recursive: true });
    const weights = readFileSync(join(changed, 'weights.bin'));
    weights[weights.length - 1] ^= 0x01;
    writeFileSync(join(changed, 'weights.bin'), weights);
    const result = await cli('verify', runCertificate, '--model', join(changed, 'model.json'), '--dataset', 'bands', '--db', dbPath);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('NOT verified');
    expect(result.stdout).toContain('model file 2 (weights.bin): SHA-256');
    expect(result.stdout).not.toContain('model file 1 (model.json)');
    expect(result.stdout).not.toContain('rows: SHA-256');
  });

  it('fails naming the number when a bound in the certificate is edited', async () => {
    const edited = join(dir, 'edited.json');
    const cert = readJson(runCertificate) as { constraints: { gUpper: number }[] };
    cert.constraints[0].gUpper += 1e-4;
    writeFileSync(edited, JSON.stringify(cert, null, 2));
    const result = await cli('verify', edited, '--model', join(runModelDir, 'model.json'), '--dataset', 'bands', '--db', dbPath);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('NOT verified: 1 of ' + lines[0].split(' of ')[1]);
    expect(lines[1]).toMatch(/^ {2}constraint 1: gUpper: certificate /);
  });

  it('fails naming the rows\' hash when one pixel of one certified row changes', async () => {
    const otherDb = join(dir, 'changed-pixel.db');
    copyFileSync(dbPath, otherDb);
    const cert = readJson(runCertificate) as { rows: { selection: { kind: 'indices'; indices: number[] } | { kind: 'range'; start: number } } };
    const row = cert.rows.selection.kind === 'indices' ? cert.rows.selection.indices[3] : cert.rows.selection.start + 3;
    const db = openWorkspace(otherDb);
    try {
      const pixels = db.prepare('SELECT pixels FROM sample WHERE dataset_id = 1 AND order_index = ?').pluck().get(row) as Buffer;
      pixels[17] = pixels[17] === 255 ? 254 : pixels[17] + 1;
      db.prepare('UPDATE sample SET pixels = ? WHERE dataset_id = 1 AND order_index = ?').run(pixels, row);
    } finally {
      db.close();
    }
    const result = await cli('verify', runCertificate, '--model', join(runModelDir, 'model.json'), '--dataset', 'bands', '--db', otherDb);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  rows: SHA-256: certificate ');
    expect(result.stdout).not.toContain('model file');
  });
});

describe("a run certificate and the run's ONNX export", () => {
  it('hashes the ONNX export, whose bytes are the same on every export', async () => {
    const again = join(dir, 'run-model-again.onnx');
    expect((await cli('run', 'export-model', String(runId), '--format', 'onnx', '--out', again, '--db', dbPath)).code).toBe(0);
    expect(readFileSync(again).equals(readFileSync(runOnnx))).toBe(true);
    const cert = readJson(runCertificate) as { version: number; model: { onnx?: { name: string; bytes: number; sha256: string } } };
    expect(cert.version).toBe(2);
    expect(cert.model.onnx).toEqual({ name: 'model.onnx', bytes: readFileSync(runOnnx).length, sha256: sha256(runOnnx) });
  });

  it('verifies with the .onnx file, run by ONNX Runtime', async () => {
    const result = await cli('verify', runCertificate, '--model', runOnnx, '--dataset', 'bands', '--db', dbPath, '--json');
    const outcome = JSON.parse(result.stdout) as { ok: boolean; checks: number; mismatches: unknown[] };
    expect(outcome.mismatches).toEqual([]);
    expect(outcome.checks).toBeGreaterThan(10);
    expect(result.code).toBe(0);
  });

  it('fails naming the ONNX export\'s hash when one weight changes', async () => {
    const decoded = onnx.ModelProto.decode(readFileSync(runOnnx));
    const weight = decoded.graph!.initializer!.find((t) => (t.rawData?.length ?? 0) >= 4 || (t.floatData?.length ?? 0) > 0)!;
    if (weight.rawData && weight.rawData.length >= 4) weight.rawData[3] ^= 0x01;
    else weight.floatData![0] += 1e-3;
    const changed = join(dir, 'changed-model.onnx');
    writeFileSync(changed, onnx.ModelProto.encode(decoded).finish());
    const result = await cli('verify', runCertificate, '--model', changed, '--dataset', 'bands', '--db', dbPath);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('NOT verified');
    expect(result.stdout).toContain(`  model (ONNX export, model.onnx): SHA-256: certificate ${sha256(runOnnx)}, recomputed ${sha256(changed)}`);
    expect(result.stdout).not.toContain('rows: SHA-256');
  });

  it('of version 1 (no ONNX hash) still verifies the TF.js export, and names why a .onnx cannot be checked', async () => {
    const old = join(dir, 'version-1.json');
    const cert = readJson(runCertificate) as { version: number; model: { onnx?: unknown } };
    cert.version = 1;
    delete cert.model.onnx;
    writeFileSync(old, JSON.stringify(cert, null, 2));
    const tfjs = await cli('verify', old, '--model', join(runModelDir, 'model.json'), '--dataset', 'bands', '--db', dbPath);
    expect(tfjs.stdout).toMatch(/^verified: all \d+ checks match/);
    expect(tfjs.code).toBe(0);
    const withOnnx = await cli('verify', old, '--model', runOnnx, '--dataset', 'bands', '--db', dbPath);
    expect(withOnnx.code).toBe(2);
    expect(withOnnx.stderr).toContain(
      `${old} key 'model': the certificate records the model only as TF.js files (model.json, weights.bin), with no SHA-256 of an ONNX export (a version 1 certificate`,
    );
    expect(withOnnx.stderr).toContain(`fairbound run certificate ${runId}`);
  });
});

describe('an audit certificate', () => {
  it('of a model file verifies, and an existing certificate file is refused without --force', async () => {
    const file = join(dir, 'audit-model.json');
    const audit = await cli('audit', '--dataset', 'bands', '--model', fileModelDir, '--constraint', BANDS_RATIO, '--delta', '0.1', '--rows', 'safety', '--backend', 'wasm', '--certificate', file, '--db', dbPath);
    expect(audit.code).toBe(0);
    expect(audit.stderr).toContain(`certificate: wrote ${file}`);
    const cert = readJson(file) as { kind: string; rows: { selection: unknown; count: number }; settings: { bound: string; mode: unknown } };
    expect(cert.kind).toBe('audit');
    expect(cert.rows.selection).toEqual({ kind: 'range', start: 100, end: 200 });
    expect(cert.settings).toMatchObject({ bound: 'exact', mode: { kind: 'hard', threshold: 0.5 } });
    const verified = await cli('verify', file, '--model', join(fileModelDir, 'model.json'), '--dataset', 'bands', '--db', dbPath);
    expect(verified.stdout).toMatch(/^verified/);
    expect(verified.code).toBe(0);
    // The same file refused without --force.
    const again = await cli('audit', '--dataset', 'bands', '--model', fileModelDir, '--constraint', BANDS_RATIO, '--certificate', file, '--db', dbPath);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${file} exists; use --force to overwrite`);
  });

  it("of a run's model on its own safety rows verifies against the exported model", async () => {
    const file = join(dir, 'audit-run.json');
    const audit = await cli('audit', '--run', String(runId), '--constraint', BANDS_RATIO, '--delta', '0.1', '--soft', '--backend', 'wasm', '--certificate', file, '--db', dbPath);
    expect(audit.code).toBe(0);
    const cert = readJson(file) as { model: { files: { sha256: string }[] }; guarantee: string; rows: { selection: { kind: string } } };
    expect(cert.guarantee).toBe('repeats-safety-test');
    expect(cert.model.files[1].sha256).toBe(sha256(join(runModelDir, 'weights.bin')));
    expect((cert.model as { onnx?: { sha256: string } }).onnx?.sha256).toBe(sha256(runOnnx));
    const verified = await cli('verify', file, '--model', runModelDir, '--dataset', 'bands', '--db', dbPath);
    expect(verified.stdout).toMatch(/^verified/);
    expect(verified.code).toBe(0);
  });
});

describe('a predictions audit certificate', () => {
  it('verifies against the predictions file; one changed probability is named by the file\'s hash and the numbers', async () => {
    const csv = join(dir, 'predictions.csv');
    const lines = Array.from({ length: 200 }, (_, i) => String(((i * 37) % 100) / 100));
    writeFileSync(csv, `p\n${lines.join('\n')}\n`);
    const file = join(dir, 'audit-predictions.json');
    const audit = await cli('audit', '--dataset', 'bands', '--predictions', csv, '--by-order', '--constraint', 'ACC >= 0.3', '--soft', '--certificate', file, '--db', dbPath);
    expect(audit.code).toBe(0);
    const cert = readJson(file) as { model: { format: string; files: { name: string; sha256: string }[] }; settings: { matching: unknown } };
    expect(cert.model).toEqual({ format: 'predictions-csv', files: [{ name: 'predictions.csv', bytes: readFileSync(csv).length, sha256: sha256(csv) }] });
    expect(cert.settings.matching).toEqual({ kind: 'order' });
    const verified = await cli('verify', file, '--model', csv, '--dataset', 'bands', '--db', dbPath);
    expect(verified.stdout).toMatch(/^verified/);
    expect(verified.code).toBe(0);
    lines[7] = '0.99';
    writeFileSync(csv, `p\n${lines.join('\n')}\n`);
    const changed = await cli('verify', file, '--model', csv, '--dataset', 'bands', '--db', dbPath);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('model file 1 (predictions.csv): SHA-256');
    expect(changed.stdout).toContain('constraint 1: gPoint');
  });
});

describe('a malformed certificate', () => {
  const verify = (file: string) => cli('verify', file, '--model', join(runModelDir, 'model.json'), '--dataset', 'bands', '--db', dbPath);

  it('that is not JSON names the line and column', async () => {
    const file = join(dir, 'truncated.json');
    const text = readFileSync(runCertificate, 'utf8');
    writeFileSync(file, text.replace('"kind": "run",', '"kind": "run"'));
    const result = await verify(file);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${file.replace(/[.\\/]/g, '\\$&')} row 5: not valid JSON: .* at line 5, column \\d+`));
  });

  it('with an unknown version names it', async () => {
    const file = join(dir, 'version.json');
    writeFileSync(file, JSON.stringify({ ...readJson(runCertificate), version: 3 }));
    const result = await verify(file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("key 'version': unknown certificate version 3: this Fairbound reads versions 1, 2");
  });

  it('with a field of the wrong type names the field', async () => {
    const file = join(dir, 'field.json');
    const cert = readJson(runCertificate) as { rows: { sha256: string } };
    cert.rows.sha256 = 'not a hash';
    writeFileSync(file, JSON.stringify(cert));
    const result = await verify(file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("key 'rows.sha256': a SHA-256 as 64 lowercase hexadecimal digits");
  });
});
