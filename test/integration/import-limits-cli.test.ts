/**
 * Invariant under test: hostile import files (headers that announce huge sizes, gzip bombs, lines
 * without an end, giant images, FIFOs) are refused by `fairbound import` with exit 2 and a message
 * naming the file, quickly and without the child process's memory following what the file claims
 * (its peak RSS, `process.resourceUsage().maxRSS`, is read inside the child at exit); nothing is
 * imported. The CLI runs from an esbuild bundle built here with the build:cli flags. The 30 s
 * timeouts only guard against hangs.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '../../src-main/store/database';
import { idxImagesBytes, idxLabelsBytes, tableCounts } from '../support/images';
import { bundleCliForTest } from '../support/cli';

const MB = 1024 * 1024;
let dir: string;
let bundle: string;
let preload: string;
let runs = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-limits-'));
  bundle = await bundleCliForTest('test-limits-cli');
  // Writes the child's peak resident set size (KiB) to the file named by FAIRBOUND_TEST_RSS as it exits.
  preload = join(dir, 'rss.mjs');
  writeFileSync(
    preload,
    "import { writeFileSync } from 'node:fs';\n" +
      "process.on('exit', () => writeFileSync(process.env.FAIRBOUND_TEST_RSS, String(process.resourceUsage().maxRSS)));\n",
  );
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(bundle, '..'), { recursive: true, force: true });
});

interface Outcome {
  status: number | null;
  stderr: string;
  /** Peak RSS of the child in MiB. */
  peakMiB: number;
  dbPath: string;
}

/** `fairbound import …` in a child process on a fresh workspace. */
function fairboundImport(...args: string[]): Outcome {
  const n = ++runs;
  const dbPath = join(dir, `w${n}.db`);
  const rssFile = join(dir, `rss${n}`);
  const r = spawnSync(process.execPath, ['--import', preload, bundle, 'import', ...args, '--name', 'x', '--quiet', '--db', dbPath], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, FAIRBOUND_TEST_RSS: rssFile },
  });
  const peakMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
  return { status: r.status, stderr: r.stderr, peakMiB, dbPath };
}

function expectNothingImported(dbPath: string): void {
  const db = openWorkspace(dbPath);
  try {
    expect(tableCounts(db)).toEqual({ dataset: 0, sample: 0, attribute: 0, attribute_family: 0 });
  } finally {
    db.close();
  }
}

/** An IDX header alone: magic, then the dimensions as given. */
function idxHeader(magic: number, dims: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d >>> 0, 4 + 4 * i));
  return header;
}

describe('IDX headers are checked before anything is allocated', () => {
  it('a ~4 MB gzip of one 65535×65535 image: "image dimensions … too large", exit 2, bounded memory', () => {
    // A multi-member gzip (valid: gunzip reads the members in turn) of the header and 4 GiB of zeros.
    const images = join(dir, 'huge-images-idx3-ubyte.gz');
    const total = 65535 * 65535;
    const block = gzipSync(Buffer.alloc(64 * MB));
    const members: Buffer[] = [gzipSync(idxHeader(0x803, [1, 65535, 65535]))];
    let left = total;
    for (; left >= 64 * MB; left -= 64 * MB) members.push(block);
    members.push(gzipSync(Buffer.alloc(left)));
    writeFileSync(images, Buffer.concat(members));
    const labels = join(dir, 'huge-labels-idx1-ubyte');
    writeFileSync(labels, idxLabelsBytes([0]));

    const r = fairboundImport('idx', '--images', images, '--labels', labels, '--brightness');
    expect(r.stderr).toMatch(/image dimensions 65535×65535 .*too large/);
    expect(r.stderr).toContain(images);
    expect(r.status).toBe(2);
    expect(r.peakMiB).toBeLessThan(300);
    expectNothingImported(r.dbPath);
  }, 60_000);

  it('a header announcing 0xFFFFFFFF images (plain or gzip) or labels with a short body: "the header announces N …, the file holds M bytes"', () => {
    const body = Buffer.alloc(1000, 7);
    const plain = join(dir, 'liar-images-idx3-ubyte');
    writeFileSync(plain, Buffer.concat([idxHeader(0x803, [0xffffffff, 28, 28]), body]));
    const gz = join(dir, 'liar-images-idx3-ubyte.gz');
    writeFileSync(gz, gzipSync(Buffer.concat([idxHeader(0x803, [0xffffffff, 28, 28]), body])));
    const goodLabels = join(dir, 'one-labels-idx1-ubyte');
    writeFileSync(goodLabels, idxLabelsBytes([1]));

    for (const images of [plain, gz]) {
      const r = fairboundImport('idx', '--images', images, '--labels', goodLabels, '--brightness');
      expect(r.stderr).toContain(`${images}: the header announces 4294967295 images, the file holds 1016 bytes`);
      expect(r.status).toBe(2);
      expect(r.peakMiB).toBeLessThan(300);
      expectNothingImported(r.dbPath);
    }

    const goodImages = join(dir, 'one-images-idx3-ubyte');
    writeFileSync(goodImages, idxImagesBytes([new Uint8Array(784)], 28, 28));
    const liarLabels = join(dir, 'liar-labels-idx1-ubyte');
    writeFileSync(liarLabels, Buffer.concat([idxHeader(0x801, [0xffffffff]), Buffer.from([1, 2, 3])]));
    const r = fairboundImport('idx', '--images', goodImages, '--labels', liarLabels, '--brightness');
    expect(r.stderr).toContain(`${liarLabels}: the header announces 4294967295 labels, the file holds 11 bytes`);
    expect(r.status).toBe(2);
    expect(r.peakMiB).toBeLessThan(300);
  }, 60_000);
});

/** A 600 MB file of NUL bytes without a line break, created sparse (instantly, no disk used). */
function endlessLine(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  truncateSync(path, 600 * 1000 * 1000);
  return path;
}

function seldonianMetadata(name: string, subRegime: 'classification' | 'multiclass_classification'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ regime: 'supervised_learning', sub_regime: subRegime, all_col_names: ['x', 'A', 'y'], label_col_names: ['y'], sensitive_col_names: ['A'] }));
  return path;
}

describe('CSV records and sizes are bounded', () => {
  it('a 600 MB file without a line break: "record too long" from the pixel-CSV and Seldonian importers, bounded memory', () => {
    const endless = endlessLine('endless.csv');
    const pixels = fairboundImport('pixels', '--csv', endless, '--label', 'y', '--sensitive', 'A');
    expect(pixels.stderr).toMatch(new RegExp(`${endless} row 1.*: record too long`));
    expect(pixels.status).toBe(2);
    expect(pixels.peakMiB).toBeLessThan(300);

    const seldonian = fairboundImport('seldonian', '--csv', endless, '--metadata', seldonianMetadata('m.json', 'classification'));
    expect(seldonian.stderr).toContain(`${endless} row 1: record too long`);
    expect(seldonian.status).toBe(2);
    expect(seldonian.peakMiB).toBeLessThan(300);
    expectNothingImported(seldonian.dbPath);
  }, 60_000);

  it('a gzip bomb saved as .csv.gz: a size-limit error from the Seldonian importer, bounded memory', () => {
    // 1.06 GiB of valid rows (numbers padded with spaces) as a multi-member gzip of about 1 MB.
    const block = gzipSync(Buffer.from(`${' '.repeat(1016)}0.5,1,0\n`.repeat(64 * 1024)));
    const bomb = join(dir, 'bomb.csv.gz');
    writeFileSync(bomb, Buffer.concat(Array.from({ length: 17 }, () => block)));
    const r = fairboundImport('seldonian', '--csv', bomb, '--metadata', seldonianMetadata('m2.json', 'classification'));
    expect(r.stderr).toContain(`${bomb}: decompresses to more than 1 GiB, the most a Seldonian CSV may hold (size limit)`);
    expect(r.status).toBe(2);
    expect(r.peakMiB).toBeLessThan(300);
    expectNothingImported(r.dbPath);
  }, 60_000);

  it('a multiclass label of 1000000000: "class id above 65535", naming row and column', () => {
    const csv = join(dir, 'mc.csv');
    writeFileSync(csv, '0.5,1,0\n0.25,0,2\n0.75,1,1000000000\n');
    const r = fairboundImport('seldonian', '--csv', csv, '--metadata', seldonianMetadata('m3.json', 'multiclass_classification'));
    expect(r.stderr).toContain(`${csv} row 3, column 'y': class id above 65535: got '1000000000'`);
    expect(r.status).toBe(2);
    expectNothingImported(r.dbPath);
  }, 30_000);
});

describe('image files are checked before they are read or decoded', () => {
  it('8 rows of 16000×16000 PNGs: a pixel-limit error naming the file, bounded memory', async () => {
    const sharp = (await import('sharp')).default;
    const folder = join(dir, 'giant');
    mkdirSync(folder, { recursive: true });
    // A solid 256-megapixel PNG is about 1 MB on disk; libvips writes it without holding it decoded.
    await sharp({ create: { width: 16000, height: 16000, channels: 3, background: { r: 200, g: 10, b: 10 } }, limitInputPixels: false })
      .png({ compressionLevel: 9 })
      .toFile(join(folder, '0.png'));
    for (let i = 1; i < 8; i++) copyFileSync(join(folder, '0.png'), join(folder, `${i}.png`));
    const csv = join(folder, 'attrs.csv');
    writeFileSync(csv, `file,label,M,F\n${Array.from({ length: 8 }, (_, i) => `${i}.png,${i % 2},${i % 2},${1 - (i % 2)}`).join('\n')}\n`);

    const r = fairboundImport('folder', '--csv', csv, '--label', 'label', '--sensitive', 'M,F');
    expect(r.stderr).toContain(`${csv} row 2, column 'file': image '0.png' is 16000×16000 pixels, more than the pixel limit of 50000000 pixels per image`);
    expect(r.status).toBe(2);
    expect(r.peakMiB).toBeLessThan(300);
    expectNothingImported(r.dbPath);

    // The same with a resize and an explicit channel count (every row is decoded ahead): still refused from the header.
    const resized = fairboundImport('folder', '--csv', csv, '--label', 'label', '--sensitive', 'M,F', '--resize', '32', '--rgb');
    expect(resized.stderr).toContain("image '0.png' is 16000×16000 pixels, more than the pixel limit");
    expect(resized.status).toBe(2);
    expect(resized.peakMiB).toBeLessThan(300);
  }, 60_000);

  it('a FIFO named in the CSV: "not a regular file" at once instead of a hang', async () => {
    const sharp = (await import('sharp')).default;
    const folder = join(dir, 'fifo');
    mkdirSync(folder, { recursive: true });
    await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toFile(join(folder, 'a.png'));
    const made = spawnSync('mkfifo', [join(folder, 'b.png')]);
    expect(made.status).toBe(0);
    const csv = join(folder, 'attrs.csv');
    writeFileSync(csv, 'file,label,M,F\na.png,0,1,0\nb.png,1,0,1\n');
    const r = fairboundImport('folder', '--csv', csv, '--label', 'label', '--sensitive', 'M,F');
    expect(r.stderr).toContain(`${csv} row 3, column 'file': image path 'b.png' is not a regular file`);
    expect(r.status).toBe(2);
    expectNothingImported(r.dbPath);

    // The CSV itself as a FIFO.
    const csvFifo = join(folder, 'pipe.csv');
    expect(spawnSync('mkfifo', [csvFifo]).status).toBe(0);
    const fromFifo = fairboundImport('folder', '--csv', csvFifo, '--label', 'label', '--sensitive', 'M,F');
    expect(fromFifo.stderr).toContain(`${csvFifo}: not a regular file`);
    expect(fromFifo.status).toBe(2);
  }, 60_000);
});
