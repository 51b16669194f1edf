import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, readFileOrThrow, readJsonFile } from '../../src-main/errors/input-error';

// The whole-file readers behind spec.json, metadata and θ files: what they refuse before reading.
const dir = mkdtempSync(join(tmpdir(), 'fairbound-read-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(read: () => unknown): InputError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('whole-file reads', () => {
  it('refuse a FIFO without blocking on it', () => {
    const fifo = join(dir, 'spec.json');
    execFileSync('mkfifo', [fifo]);
    const error = errorOf(() => readJsonFile(fifo));
    expect(error.message).toBe(`${fifo}: not a regular file (a FIFO, socket or device cannot be read as a data file)`);
  });

  it('refuse a directory', () => {
    expect(errorOf(() => readFileOrThrow(dir)).message).toBe(`${dir}: is a directory, expected a file`);
  });

  it('refuse a JSON file over 64 MiB before reading it (a sparse file: no memory is spent)', () => {
    const big = join(dir, 'theta.json');
    writeFileSync(big, '');
    truncateSync(big, 64 * 1024 ** 2 + 1);
    expect(errorOf(() => readJsonFile(big)).message).toBe(`${big}: file too large: ${64 * 1024 ** 2 + 1} bytes, at most ${64 * 1024 ** 2} read whole`);
  });

  it('read a file within the limit and name a missing one', () => {
    const small = join(dir, 'ok.json');
    writeFileSync(small, '{"a": 1}');
    expect(readJsonFile(small)).toEqual({ a: 1 });
    expect(errorOf(() => readFileOrThrow(join(dir, 'missing.json'))).message).toBe(`${join(dir, 'missing.json')}: file not found`);
  });
});
