/**
 * A passed pretrained run on an ONNX model is certified and audited as its ONNX export (the source graph
 * cut at the latent tensor with the run's head), fed with the run's recorded pre-processing: `fairbound
 * verify` recomputes the safety test from that file through ONNX Runtime, and names the hash of a changed one.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pretrainedBodySentence } from '../../src-shared/domain/guarantee-wording';
import { onnx } from '../../src-main/deep/onnx/proto';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';
import { hiddenModel } from '../support/onnx-hidden-model';
import { bandsWorkspace } from '../support/services';

const tempDir = useTempDir('fairbound-pretrained-certificate-');

interface CertificateFile {
  subject: string;
  model: { format: string; files: { name: string; sha256: string }[]; onnx?: unknown };
  rows: { count: number; selection: unknown };
  settings: { onnx?: unknown; resize: number | null; bound: string };
  safetyTest: { runId: number; passed: boolean; storedUpperBounds: number[] };
  constraints: { verdict: string; gUpper: number }[];
  guarantee?: string;
}

describe('a pretrained run on an ONNX model: certificate, verify and audit', () => {
  it('certifies its ONNX export with the recorded pre-processing; verify recomputes it and names a changed file; the run audits as its export', async () => {
    const dir = tempDir();
    const { dbPath } = bandsWorkspace(dir, { n: 240, seed: 9 });
    const model = join(dir, 'hidden.onnx');
    writeFileSync(model, hiddenModel(16));
    // Pixels doubled before the model: the export must be fed so too, or its numbers would differ.
    const trained = await cli('audit', '--retrain-head', '--db', dbPath, '--dataset', 'bands', '--model', model, '--normalize', '0,0.5', '--constraint', 'ACC >= 0.7', '--iterations', '300', '--alpha-theta', '0.2', '--seed', '4', '--json');
    expect(trained.code, trained.stderr).toBe(0);
    const run = JSON.parse(trained.stdout) as { verdict: string; run_id: number };
    expect(run.verdict).toBe('passed');
    const id = String(run.run_id);

    const certFile = join(dir, 'cert.json');
    const made = await cli('run', 'certificate', id, '--out', certFile, '--db', dbPath);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('safety test passed as recomputed from the exported model');
    expect(made.stdout).toContain(`fairbound run export-model ${id} --format onnx --out <file.onnx> && fairbound verify`);
    const cert = JSON.parse(readFileSync(certFile, 'utf8')) as CertificateFile;
    expect(cert.model.format).toBe('single-file');
    expect(cert.model.onnx).toBeUndefined();
    expect(cert.settings).toMatchObject({ onnx: { normalize: [{ mean: 0, std: 0.5 }] }, resize: null, bound: 'student-t' });
    expect(cert.subject).toContain(`--format onnx\` writes it: the source model ${model}`);
    expect(cert.rows).toMatchObject({ count: 120, selection: { kind: 'range', start: 120, end: 240 } });
    expect(cert.safetyTest.passed).toBe(true);
    // The run bounded its float64 head on float32 latents; the export runs in float32 end to end.
    expect(Math.abs(cert.constraints[0].gUpper - cert.safetyTest.storedUpperBounds[0])).toBeLessThan(1e-4);

    const exported = join(dir, 'exported.onnx');
    const ex = await cli('run', 'export-model', id, '--format', 'onnx', '--out', exported, '--db', dbPath);
    expect(ex.code, ex.stderr).toBe(0);
    const bytes = readFileSync(exported);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(cert.model.files[0].sha256);

    const ok = await cli('verify', certFile, '--model', exported, '--dataset', 'bands', '--db', dbPath);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^verified: all \\d+ checks match \\(run ${id}'s safety test, 1 constraint\\(s\\), 120 rows`));

    // The same graph with another description: it predicts the same, but it is not the certified file.
    const changed = onnx.ModelProto.decode(bytes);
    changed.docString = `${changed.docString ?? ''} (edited)`;
    const tampered = join(dir, 'tampered.onnx');
    writeFileSync(tampered, onnx.ModelProto.encode(changed).finish());
    const bad = await cli('verify', certFile, '--model', tampered, '--dataset', 'bands', '--db', dbPath);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/^NOT verified: 1 of \d+ checks do not match\n {2}model file 1 \(fairbound-run-\d+-seldonian\.onnx\): SHA-256: certificate [0-9a-f]{64}, recomputed [0-9a-f]{64}\n$/);

    // The audit of the run: its export on its own safety rows, the same bound as its safety test.
    const audit = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--run', id, '--soft', '--bound', 'student-t', '--constraint', 'ACC >= 0.7', '--json');
    expect(audit.code, audit.stderr).toBe(0);
    const result = JSON.parse(audit.stdout) as { guarantee: string; pretrainedBody?: boolean; source: string; rows: { ofRun: number; end: number }; constraints: { gUpper: number }[]; preprocessing: { normalize: unknown } };
    expect(result.guarantee).toBe('repeats-safety-test');
    expect(result.pretrainedBody).toBe(true);
    expect(result.rows).toMatchObject({ ofRun: run.run_id, end: 120 });
    expect(result.source).toContain('the source model\'s training rows are unknown to Fairbound');
    expect(result.preprocessing.normalize).toEqual([{ mean: 0, std: 0.5 }]);
    expect(result.constraints[0].gUpper).toBeCloseTo(cert.constraints[0].gUpper, 9);
    const text = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--run', id, '--soft', '--bound', 'student-t', '--constraint', 'ACC >= 0.7', '--certificate', join(dir, 'audit.json'), '--report', join(dir, 'audit.html'));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("repeats the run's safety test on its own safety rows");
    expect(text.stdout).toContain(`guarantee: ${pretrainedBodySentence()}`);
    // The report says it beside the verdict too.
    expect(readFileSync(join(dir, 'audit.html'), 'utf8')).toContain(`<p class="warning" data-pretrained-body>${pretrainedBodySentence().replace(/'/g, '&#39;')}</p>`);
    const auditCert = JSON.parse(readFileSync(join(dir, 'audit.json'), 'utf8')) as CertificateFile;
    expect(auditCert.guarantee).toBe('repeats-safety-test');
    expect(auditCert.model.files[0].sha256).toBe(cert.model.files[0].sha256);
    const verifiedAudit = await cli('verify', join(dir, 'audit.json'), '--model', exported, '--dataset', 'bands', '--db', dbPath);
    expect(verifiedAudit.code, verifiedAudit.stdout).toBe(0);
    // Which rows trained the body is unknown: its initial head (trained on none) is no independent check.
    const initial = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--run', id, '--which', 'initial', '--constraint', 'ACC >= 0.7', '--json');
    expect(initial.code, initial.stderr).toBe(0);
    expect((JSON.parse(initial.stdout) as { guarantee: string }).guarantee).toBe('unknown-training-rows');
  }, 120_000);
});
