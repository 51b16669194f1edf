/**
 * Invariant under test: the CSV readers never buffer more than a record's limit, never decompress past
 * their size limit and never open anything but a regular file. `files.peekCsv` runs in the app's main
 * process: through the services' invoke, a 600 MB file without a line break is an input error reply
 * ("record too long"), a FIFO is "not a regular file" at once, and the services keep answering.
 */
import { spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openHeaderedCsv } from '../../src-main/data/csv-records';
import { readMetadata, readSeldonianCsv } from '../../src-main/data/seldonian-format';
import { createServices } from '../../src-main/services';
import { inputErrorOf, useTempDir } from '../support/images';

const tempDir = useTempDir();

function fifo(name: string): string {
  const path = join(tempDir(), name);
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr.toString()}`);
  return path;
}

async function readAll(path: string, limits: Parameters<typeof openHeaderedCsv>[1] = {}): Promise<number> {
  const csv = await openHeaderedCsv(path, limits);
  let n = 0;
  try {
    for await (const record of csv.records) n += record.cells.length > 0 ? 1 : 0;
  } finally {
    csv.close();
  }
  return n;
}

describe('files.peekCsv through the services', () => {
  it('a 600 MB file without a line break: "record too long"; a FIFO: "not a regular file"; the services keep answering', async () => {
    const dir = tempDir();
    const endless = join(dir, 'endless.csv');
    writeFileSync(endless, '');
    truncateSync(endless, 600 * 1000 * 1000); // sparse: NUL bytes, no line break
    const pipe = fifo('pipe.csv');
    const good = join(dir, 'good.csv');
    writeFileSync(good, `file,label,pixels\na.png,1,${'255 '.repeat(2000)}\n`);
    const services = createServices({ dbPath: join(dir, 'w.db'), runtime: 'browser', log: () => undefined });
    try {
      const tooLong = await services.invoke('files.peekCsv', { path: endless });
      expect(tooLong).toMatchObject({ ok: false, error: { code: 'input' } });
      expect(JSON.stringify(tooLong)).toContain('record too long');
      expect(JSON.stringify(tooLong)).toContain(endless);

      const fromFifo = await services.invoke('files.peekCsv', { path: pipe });
      expect(fromFifo).toMatchObject({ ok: false, error: { code: 'input' } });
      expect(JSON.stringify(fromFifo)).toContain('not a regular file');

      const peeked = await services.invoke('files.peekCsv', { path: good, rows: 5 });
      expect(peeked).toMatchObject({ ok: true, value: { header: ['file', 'label', 'pixels'] } });
      const cell = (peeked as { value: { rows: string[][] } }).value.rows[0][2];
      expect(cell.length).toBe(1000); // long cells come back cut
      expect(cell.endsWith('…')).toBe(true);
      expect(await services.invoke('datasets.list', {})).toEqual({ ok: true, value: [] });
    } finally {
      await services.close();
    }
  }, 30_000);
});

describe('openHeaderedCsv', () => {
  it('a gzip that decompresses past the limit is a size-limit error naming the file', async () => {
    const bomb = join(tempDir(), 'bomb.csv.gz');
    writeFileSync(bomb, gzipSync(Buffer.from(`a,b\n${'0,1\n'.repeat(100_000)}`)));
    const err = await inputErrorOf(readAll(bomb, { maxDecompressedBytes: 64 * 1024 }));
    expect(err.message).toBe(`${bomb}: decompresses to more than 64 KiB, the most a gzipped CSV may hold (size limit)`);
    expect(await readAll(bomb)).toBe(100_000); // under the default limit it reads
  });

  it('a record over the limit names the file and its row, also in a quoted multi-line cell', async () => {
    const path = join(tempDir(), 'long.csv');
    writeFileSync(path, `a,b\n1,2\n3,"${'x\n'.repeat(600)}"\n`);
    const err = await inputErrorOf(readAll(path, { maxRecordChars: 1000 }));
    expect(err.file).toBe(path);
    expect(err.detail).toBe('record too long: more than 1000 characters (a line without its end?)');
    expect(await readAll(path)).toBe(2);
  });

  it('a FIFO or a directory is refused before it is opened', async () => {
    const pipe = fifo('p.csv');
    expect((await inputErrorOf(openHeaderedCsv(pipe))).message).toMatch(new RegExp(`^${pipe}: not a regular file`));
    expect((await inputErrorOf(openHeaderedCsv(tempDir()))).detail).toBe('is a directory, expected a file');
  });
});

describe('readSeldonianCsv and readMetadata', () => {
  it('refuse a FIFO as the data or the metadata file at once', () => {
    const pipe = fifo('data.csv');
    const meta = join(tempDir(), 'meta.json');
    writeFileSync(meta, JSON.stringify({ regime: 'supervised_learning', sub_regime: 'classification', all_col_names: ['x', 'y'], label_col_names: ['y'], sensitive_col_names: [] }));
    expect(() => readSeldonianCsv(pipe, readMetadata(meta))).toThrow(`${pipe}: not a regular file`);
    const metaPipe = fifo('meta-pipe.json');
    expect(() => readMetadata(metaPipe)).toThrow(`${metaPipe}: not a regular file`);
  });

  it('reads lines across read chunks, CRLF endings and a BOM, as before', () => {
    const meta = join(tempDir(), 'meta.json');
    writeFileSync(meta, JSON.stringify({ regime: 'supervised_learning', sub_regime: 'classification', all_col_names: ['x', 'A', 'y'], label_col_names: ['y'], sensitive_col_names: ['A'] }));
    const path = join(tempDir(), 'big.csv');
    const n = 400_000; // ~5 MB: more than one 4 MiB read
    const lines = Array.from({ length: n }, (_, i) => `${i}.125,${i % 2},${(i >> 1) % 2}`);
    writeFileSync(path, `\ufeff${lines.join('\r\n')}\r\n`);
    const data = readSeldonianCsv(path, readMetadata(meta));
    expect(data.nRows).toBe(n);
    expect(data.features[0]).toBe(0.125);
    expect(data.features[n - 1]).toBe(n - 1 + 0.125);
    expect(data.sensitive[n - 1]).toBe((n - 1) % 2);
    expect(data.labels[n - 1]).toBe(((n - 1) >> 1) % 2);
  });
});
