/**
 * A certificate of an ONNX model's audit records the pre-processing options the audit was given, so
 * `fairbound verify` runs the model the same way: with a normalisation that moves the numbers, verify
 * agrees on the untouched files and names the model's hash when the file changes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onnx } from '../../src-main/deep/onnx/proto';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';
import { bandOnnxModel } from '../support/onnx-band-model';
import { bandsWorkspace } from '../support/services';
import { BANDS_RATIO } from '../support/tiny-run';

const tempDir = useTempDir('fairbound-certificate-onnx-');

describe('certificates of ONNX audits', () => {
  it('records --normalize, and verify reproduces the audit with it', async () => {
    const dir = tempDir();
    const { dbPath } = bandsWorkspace(dir, { n: 300, seed: 7 });
    const model = join(dir, 'bands.onnx');
    writeFileSync(model, bandOnnxModel(16, 2));
    const certificate = join(dir, 'audit.cert.json');
    const audit = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--model', model, '--constraint', BANDS_RATIO, '--constraint', 'ACC >= 0.6',
      '--soft', '--normalize', '0.3,0.4', '--certificate', certificate, '--quiet');
    expect(audit.code, audit.stderr).toBe(0);
    const cert = JSON.parse(readFileSync(certificate, 'utf8')) as { settings: { onnx?: unknown }; model: { format: string } };
    expect(cert.settings.onnx).toEqual({ normalize: [{ mean: 0.3, std: 0.4 }] });
    expect(cert.model.format).toBe('single-file');

    const verified = await cli('verify', certificate, '--model', model, '--dataset', 'bands', '--db', dbPath);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);

    // The same model without the normalisation gives other numbers: the recorded option is what verify used.
    const plain = JSON.parse(readFileSync(certificate, 'utf8')) as { settings: Record<string, unknown> };
    delete plain.settings.onnx;
    const unnormalised = join(dir, 'plain.cert.json');
    writeFileSync(unnormalised, JSON.stringify(plain));
    const mismatch = await cli('verify', unnormalised, '--model', model, '--dataset', 'bands', '--db', dbPath);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout + mismatch.stderr).toMatch(/settings: SHA-256/);

    // One weight nudged: still a valid model, another file.
    const decoded = onnx.ModelProto.decode(readFileSync(model));
    const weight = decoded.graph!.initializer!.find((t) => (t.floatData?.length ?? 0) > 0 || (t.rawData?.length ?? 0) > 0)!;
    if (weight.rawData && weight.rawData.length > 0) weight.rawData[0] ^= 0x01;
    else weight.floatData![0] += 1e-3;
    const changed = join(dir, 'changed.onnx');
    writeFileSync(changed, onnx.ModelProto.encode(decoded).finish());
    const tampered = await cli('verify', certificate, '--model', changed, '--dataset', 'bands', '--db', dbPath);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout + tampered.stderr).toMatch(/model file 1 \(.*\): SHA-256/);
  }, 120_000);
});
