/**
 * Small real inputs for the app's bridge and browser tests: a folder of PNGs written by sharp with an
 * attributes CSV (`file,label,M,F`), a predictions CSV keyed by image path, and a pixel-string CSV large
 * enough that an import can be cancelled while it runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testPixels, writeCsv, writePng } from '../support/images';

export interface ImageFolder {
  readonly dir: string;
  readonly csv: string;
  readonly files: readonly string[];
  readonly labels: readonly number[];
  readonly male: readonly boolean[];
}

/**
 * `n` 8×8 RGB images; rows alternate M/F, labels follow a fixed pattern so both groups have both
 * labels. With `corrupt`, image number `corrupt` (0-based) is a text file named .png.
 */
export async function writeImageFolder(dir: string, n: number, options: { corrupt?: number } = {}): Promise<ImageFolder> {
  const files: string[] = [];
  const labels: number[] = [];
  const male: boolean[] = [];
  const rows: (string | number)[][] = [['file', 'label', 'M', 'F']];
  for (let i = 0; i < n; i++) {
    const file = `images/face_${String(i).padStart(3, '0')}.png`;
    const label = (i * 7) % 3 === 0 ? 0 : 1;
    const isMale = i % 2 === 0;
    if (options.corrupt === i) writeFileSync(join(dir, file), 'this is not a PNG');
    else await writePng(join(dir, file), 8, 8, 3, testPixels(8, 8, 3, i));
    files.push(file);
    labels.push(label);
    male.push(isMale);
    rows.push([file, label, isMale ? 1 : 0, isMale ? 0 : 1]);
  }
  const csv = writeCsv(join(dir, 'attributes.csv'), rows);
  return { dir, csv, files, labels, male };
}

/** A predictions CSV (`file,p`) that is right on most rows, a little better for M than for F. */
export function writePredictions(path: string, folder: ImageFolder): string {
  const rows: (string | number)[][] = [['file', 'p']];
  folder.files.forEach((file, i) => {
    const right = folder.male[i] ? i % 10 !== 0 : i % 5 !== 1;
    const positive = right ? folder.labels[i] === 1 : folder.labels[i] === 0;
    rows.push([file, positive ? 0.9 : 0.1]);
  });
  return writeCsv(path, rows);
}

/** A pixel-string CSV (`pixels,label,gender`) of `n` 4×4 images; big `n` makes an import last long enough to cancel. */
export function writePixelCsv(path: string, n: number): string {
  const lines = ['pixels,label,gender'];
  for (let i = 0; i < n; i++) {
    const pixels = Array.from({ length: 16 }, (_, k) => (i * 13 + k * 7) % 256).join(' ');
    lines.push(`${pixels},${i % 2},${(i >> 1) % 2}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
