/**
 * The pieces a certificate is made of, each against an independent computation: canonical JSON (sorted
 * keys, no whitespace), the rows' hash against bytes laid out by hand as the README documents them, the
 * model's files in manifest order, the comparison tolerance at its edges, the compact row selection, and
 * the reader's errors (JSON position, format, version, field).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFiles } from '../../src-main/audit/model-files';
import { canonicalJson } from '../../src-main/certificate/canonical-json';
import { parseCertificate } from '../../src-main/certificate/read';
import { rowsSha256, selectedIndices, selectionOf } from '../../src-main/certificate/rows';
import { numbersMatch } from '../../src-main/certificate/verify';
import { InputError } from '../../src-main/errors/input-error';
import type { TrainingData } from '../../src-main/store/datasets';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-certificate-unit-');
const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

describe('canonical JSON', () => {
  it('sorts keys at every depth, keeps array order and writes no whitespace', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 'x' }], a: { d: null, c: 0.1 }, skipped: undefined })).toBe('{"a":{"c":0.1,"d":null},"b":[3,{"a":"x","z":1}]}');
  });
  it('refuses a non-finite number (the wire form spells them out first)', () => {
    expect(() => canonicalJson({ a: Infinity })).toThrow(/not JSON/);
  });
});

describe('the rows hash (layout fairbound-rows-v1)', () => {
  // Three 2×2 grey images, groups A and B, binary labels.
  const data: TrainingData = {
    datasetId: 1,
    name: 'tiny',
    nRows: 3,
    nClasses: 2,
    labels: Float64Array.of(0, 1, 1),
    sensitiveColumns: ['A', 'B'],
    sensitive: Uint8Array.of(1, 0, 0, 1, 1, 0),
    sourceIndex: Int32Array.of(0, 1, 2),
    images: { width: 2, height: 2, channels: 1, pixels: Uint8Array.of(0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23) },
  };

  it('hashes the header line, then per row its stored pixels, uint32 LE label and one byte per group', () => {
    const header = '{"channels":1,"groups":["A","B"],"height":2,"inputs":"pixels-uint8","layout":"fairbound-rows-v1","rows":2,"width":2}\n';
    // Rows 2 then 0, in selection order.
    const bytes = Buffer.concat([Buffer.from(header, 'utf8'), Buffer.from([20, 21, 22, 23, 1, 0, 0, 0, 1, 0]), Buffer.from([0, 1, 2, 3, 0, 0, 0, 0, 1, 0])]);
    expect(rowsSha256(data, Int32Array.of(2, 0))).toBe(sha256(bytes));
  });

  it('changes with one pixel, one label, one group cell or the order', () => {
    const base = rowsSha256(data, Int32Array.of(2, 0));
    const pixel = { ...data, images: { ...data.images!, pixels: Uint8Array.from(data.images!.pixels, (p, i) => (i === 9 ? p + 1 : p)) } };
    expect(rowsSha256(pixel, Int32Array.of(2, 0))).not.toBe(base);
    expect(rowsSha256({ ...data, labels: Float64Array.of(1, 1, 1) }, Int32Array.of(2, 0))).not.toBe(base);
    expect(rowsSha256({ ...data, sensitive: Uint8Array.of(1, 1, 0, 1, 1, 0) }, Int32Array.of(2, 0))).not.toBe(base);
    expect(rowsSha256(data, Int32Array.of(0, 2))).not.toBe(base);
    // A row outside the selection does not count.
    const other = { ...data, images: { ...data.images!, pixels: Uint8Array.from(data.images!.pixels, (p, i) => (i === 5 ? p + 1 : p)) } };
    expect(rowsSha256(other, Int32Array.of(2, 0))).toBe(base);
  });

  it('lays numeric features out as little-endian floats of the stored dtype', () => {
    const features: TrainingData = { ...data, images: undefined, features: Float32Array.of(0.5, -2, 1.25, 3, 7, 8), featureColumns: ['x', 'y'] };
    const header = '{"features":2,"groups":["A","B"],"inputs":"features-float32","layout":"fairbound-rows-v1","rows":1}\n';
    const row = Buffer.alloc(8 + 4 + 2);
    row.writeFloatLE(1.25, 0);
    row.writeFloatLE(3, 4);
    row.writeUInt32LE(1, 8);
    row[12] = 0;
    row[13] = 1;
    expect(rowsSha256(features, Int32Array.of(1))).toBe(sha256(Buffer.concat([Buffer.from(header), row])));
  });
});

describe('row selections', () => {
  it('are a range when consecutive, else the indices', () => {
    expect(selectionOf(Int32Array.of(4, 5, 6))).toEqual({ kind: 'range', start: 4, end: 7 });
    expect(selectionOf(Int32Array.of(4, 6, 5))).toEqual({ kind: 'indices', indices: [4, 6, 5] });
    expect(Array.from(selectedIndices({ kind: 'range', start: 4, end: 7 }, 7, 'd'))).toEqual([4, 5, 6]);
    expect(() => selectedIndices({ kind: 'indices', indices: [1, 9] }, 9, 'd')).toThrow("the certificate selects row 9, but dataset 'd' has 9 rows");
  });
});

describe('the comparison tolerance', () => {
  it('is 1e-6 relative above magnitude 1 and 1e-6 absolute below', () => {
    expect(numbersMatch(1, 1 + 0.9e-6)).toBe(true);
    expect(numbersMatch(1, 1 + 1.1e-6)).toBe(false);
    expect(numbersMatch(1000, 1000 + 0.9e-3)).toBe(true);
    expect(numbersMatch(1000, 1000 + 1.1e-3)).toBe(false);
    expect(numbersMatch(-0.02, -0.02 + 0.9e-6)).toBe(true);
    expect(numbersMatch(-0.02, -0.02 + 1.1e-6)).toBe(false);
  });
  it('matches equal non-finite values only', () => {
    expect(numbersMatch(Infinity, Infinity)).toBe(true);
    expect(numbersMatch(Number.NaN, Number.NaN)).toBe(true);
    expect(numbersMatch(Infinity, 1e308)).toBe(false);
    expect(numbersMatch(Number.NaN, 0)).toBe(false);
    expect(numbersMatch(-Infinity, Infinity)).toBe(false);
  });
});

describe("a model's files", () => {
  it('are model.json then the weight files in manifest order, each hashed as on disk', () => {
    const dir = tempDir();
    const manifest = JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['./b.bin'], weights: [] }, { paths: ['a.bin'], weights: [] }] });
    writeFileSync(join(dir, 'model.json'), manifest);
    writeFileSync(join(dir, 'a.bin'), 'aaa');
    writeFileSync(join(dir, 'b.bin'), 'bb');
    const files = modelFiles(dir);
    expect(files).toEqual({
      format: 'tfjs-layers',
      files: [
        { name: 'model.json', bytes: manifest.length, sha256: sha256(manifest) },
        { name: 'b.bin', bytes: 2, sha256: sha256('bb') },
        { name: 'a.bin', bytes: 3, sha256: sha256('aaa') },
      ],
    });
    expect(modelFiles(join(dir, 'model.json'))).toEqual(files);
  });

  it('is one file for anything but model.json; a weight path outside the folder or a missing file is refused', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'net.onnx'), 'onnx bytes');
    expect(modelFiles(join(dir, 'net.onnx'))).toEqual({ format: 'single-file', files: [{ name: 'net.onnx', bytes: 10, sha256: sha256('onnx bytes') }] });
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['../secret.bin'] }] }));
    expect(() => modelFiles(join(dir, 'm'))).toThrow("weight file '../secret.bin' is not in the model's folder");
    expect(() => modelFiles(join(dir, 'absent.onnx'))).toThrow(/absent\.onnx: cannot read the model file \(no such file\)/);
  });
});

describe('reading a certificate', () => {
  const error = (text: string): InputError => {
    try {
      parseCertificate(text, 'c.json');
    } catch (e) {
      if (e instanceof InputError) return e;
      throw e;
    }
    throw new Error('no error');
  };

  it('names the line and column of a JSON syntax error, and an empty file', () => {
    const e = error('{\n  "format": "fairbound-certificate",\n  "version" 1\n}');
    expect(e.message).toMatch(/^c\.json row 3: not valid JSON: .* at line 3, column 13$/);
    expect(e.row).toBe(3);
    expect(error('').message).toMatch(/not valid JSON: .*\(the file is empty\)/);
  });

  it('names a file that is not a certificate, and an unknown version', () => {
    expect(error('[1]').message).toBe('c.json: not a Fairbound certificate: expected a JSON object');
    expect(error('{"format":"other"}').message).toBe('c.json key \'format\': not a Fairbound certificate: expected "format": "fairbound-certificate", got "other"');
    expect(error('{"format":"fairbound-certificate","version":7}').message).toBe(
      "c.json key 'version': unknown certificate version 7: this Fairbound reads versions 1, 2 (a newer Fairbound may have written it)",
    );
  });

  it('names the first field that does not fit the schema', () => {
    expect(error('{"format":"fairbound-certificate","version":1,"kind":"run"}').message).toBe("c.json key 'fairboundVersion': missing");
    expect(error('{"format":"fairbound-certificate","version":1,"kind":"paper"}').key).toBe('kind');
  });
});
