/**
 * Small generated inputs for the dataset importers: real PNG/JPEG files written with sharp, IDX files
 * (gzipped or not), CSVs, and a fresh temp directory per test.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterEach, beforeEach } from 'vitest';
import { InputError } from '../../src-main/errors/input-error';

/** A fresh temp directory for each test of the calling file, removed after it. */
export function useTempDir(prefix = 'fairbound-test-'): () => string {
  let dir: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (!dir) throw new Error('useTempDir: no test is running');
    return dir;
  };
}

/** Deterministic pixels: a gradient offset by `seed`, so every image differs and is checkable. */
export function testPixels(width: number, height: number, channels: 1 | 3, seed: number): Uint8Array {
  const pixels = new Uint8Array(width * height * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (seed * 37 + i * 11) % 256;
  return pixels;
}

function ensureDir(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
}

/** Writes a lossless PNG of raw pixels (grayscale PNGs are stored with one channel). */
export async function writePng(path: string, width: number, height: number, channels: 1 | 3, pixels: Uint8Array): Promise<void> {
  ensureDir(path);
  let image = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  if (channels === 1) image = image.toColourspace('b-w');
  await image.png().toFile(path);
}

export async function writeJpeg(path: string, width: number, height: number, channels: 1 | 3, pixels: Uint8Array): Promise<void> {
  ensureDir(path);
  let image = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  if (channels === 1) image = image.toColourspace('b-w');
  await image.jpeg({ quality: 95 }).toFile(path);
}

/** An IDX3 unsigned-byte image file (count × rows × columns). */
export function idxImagesBytes(images: readonly Uint8Array[], rows: number, columns: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(images.length, 4);
  header.writeUInt32BE(rows, 8);
  header.writeUInt32BE(columns, 12);
  return Buffer.concat([header, ...images.map((img) => Buffer.from(img))]);
}

/** An IDX1 unsigned-byte label file. */
export function idxLabelsBytes(labels: readonly number[]): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(labels.length, 4);
  return Buffer.concat([header, Buffer.from(labels)]);
}

export function writeFile(path: string, bytes: Buffer | string, options: { gzip?: boolean } = {}): string {
  ensureDir(path);
  writeFileSync(path, options.gzip ? gzipSync(bytes) : bytes);
  return path;
}

/** Writes rows as CSV lines (cells are written as given: quote them yourself where needed). */
export function writeCsv(path: string, rows: readonly (readonly (string | number)[])[]): string {
  return writeFile(path, rows.map((r) => r.join(',')).join('\n') + '\n');
}

/** Awaits `promise`, which must reject with an InputError, and returns it for location assertions. */
export async function inputErrorOf(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError, but the promise resolved');
}

/** Rows of each dataset table, for "nothing half-written" checks. */
export function tableCounts(db: Database.Database): { dataset: number; sample: number; attribute: number; attribute_family: number } {
  const count = (table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  return { dataset: count('dataset'), sample: count('sample'), attribute: count('attribute'), attribute_family: count('attribute_family') };
}
