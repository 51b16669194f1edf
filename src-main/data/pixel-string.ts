/**
 * Pixel strings as in the UTKFace `age_gender.csv` of Tutorial J: one cell of space-separated
 * integers 0–255, the row-major pixels of a square grayscale image.
 */

/** The parsed pixels, or the reason the cell is not a valid pixel string. */
export type PixelParse = { ok: true; pixels: Uint8Array } | { ok: false; detail: string };

/**
 * Parses `cell` into `expected` bytes (any count when `expected` is undefined). Hand-written scanner:
 * a 48×48 dataset has ~55 M values, which split/Number would allocate a string for each.
 * @example parsePixelString('0 128 255', 3) // { ok: true, pixels: Uint8Array [0, 128, 255] }
 */
export function parsePixelString(cell: string, expected?: number): PixelParse {
  const count = countTokens(cell);
  if (count === 0) return { ok: false, detail: 'empty pixel string' };
  if (expected !== undefined && count !== expected) {
    const side = Math.round(Math.sqrt(expected));
    return { ok: false, detail: `expected ${expected} pixel values (${side}×${side}), got ${count}` };
  }
  const pixels = new Uint8Array(count);
  let index = 0;
  let i = 0;
  const n = cell.length;
  while (i < n) {
    while (i < n && isSpace(cell.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let value = 0;
    let digitsOnly = true;
    while (i < n && !isSpace(cell.charCodeAt(i))) {
      const c = cell.charCodeAt(i);
      if (c >= 48 && c <= 57 && digitsOnly) value = value * 10 + (c - 48);
      else digitsOnly = false;
      i++;
    }
    const token = cell.slice(start, i);
    if (!digitsOnly) {
      return { ok: false, detail: `pixel ${index + 1} of ${count}: ${quote(token)} ${describeBadToken(token)}` };
    }
    if (value > 255) return { ok: false, detail: `pixel ${index + 1} of ${count}: ${quote(token)} is outside 0–255` };
    pixels[index++] = value;
  }
  return { ok: true, pixels };
}

/** Side of a square image with `count` pixels, or undefined if `count` is not a perfect square. */
export function squareSide(count: number): number | undefined {
  const side = Math.round(Math.sqrt(count));
  return side * side === count && side > 0 ? side : undefined;
}

function describeBadToken(token: string): string {
  const value = Number(token);
  if (!Number.isFinite(value)) return 'is not a number';
  if (!Number.isInteger(value)) return 'is not an integer';
  if (value < 0 || value > 255) return 'is outside 0–255';
  return 'is not a plain decimal integer';
}

function countTokens(cell: string): number {
  let count = 0;
  let inToken = false;
  for (let i = 0; i < cell.length; i++) {
    const space = isSpace(cell.charCodeAt(i));
    if (!space && !inToken) count++;
    inToken = !space;
  }
  return count;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function quote(token: string): string {
  return token.length > 20 ? `'${token.slice(0, 17)}...'` : `'${token}'`;
}
