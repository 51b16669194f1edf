/**
 * Bilinear resizing of a whole image set to the model's input size, done once per run on the stored
 * bytes (so a batch is still one copy + scale). Sampling follows PyTorch's
 * `F.interpolate(mode='bilinear', align_corners=False)`: output pixel centres map to
 * src = (dst + 0.5) · in/out − 0.5, clamped at 0, and the result is rounded to the nearest byte.
 */
import type { ImageSet } from './images';

interface Axis {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** Weight of `hi`. */
  readonly t: Float64Array;
}

function axis(inSize: number, outSize: number): Axis {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    lo[o] = i0;
    hi[o] = Math.min(i0 + 1, inSize - 1);
    t[o] = src - i0;
  }
  return { lo, hi, t };
}

/**
 * The images of `rows` (default: all, in order) resized to outHeight × outWidth, channels kept.
 * Without a size change and without a row selection the input is returned as is.
 * @example resizeImages(set28, 48, 48) // Fashion-MNIST at Tutorial J's 48×48
 */
export function resizeImages(images: ImageSet, outHeight: number, outWidth: number, rows?: Int32Array): ImageSet {
  for (const [what, v] of [['height', outHeight], ['width', outWidth]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`resizeImages: the output ${what} must be a positive integer, got ${v}`);
  }
  const { height, width, channels, pixels } = images;
  const n = rows ? rows.length : images.n;
  if (!rows && outHeight === height && outWidth === width) return images;
  const inSize = height * width * channels;
  const outSize = outHeight * outWidth * channels;
  const out = new Uint8Array(n * outSize);
  if (outHeight === height && outWidth === width) {
    for (let i = 0; i < n; i++) out.set(pixels.subarray(rows![i] * inSize, rows![i] * inSize + inSize), i * outSize);
    return { pixels: out, n, height, width, channels };
  }
  const ys = axis(height, outHeight);
  const xs = axis(width, outWidth);
  const rowStride = width * channels;
  for (let i = 0; i < n; i++) {
    const src = (rows ? rows[i] : i) * inSize;
    let o = i * outSize;
    for (let oy = 0; oy < outHeight; oy++) {
      const r0 = src + ys.lo[oy] * rowStride;
      const r1 = src + ys.hi[oy] * rowStride;
      const ty = ys.t[oy];
      for (let ox = 0; ox < outWidth; ox++) {
        const c0 = xs.lo[ox] * channels;
        const c1 = xs.hi[ox] * channels;
        const tx = xs.t[ox];
        for (let c = 0; c < channels; c++) {
          const top = pixels[r0 + c0 + c] + (pixels[r0 + c1 + c] - pixels[r0 + c0 + c]) * tx;
          const bottom = pixels[r1 + c0 + c] + (pixels[r1 + c1 + c] - pixels[r1 + c0 + c]) * tx;
          // Values stay within [0, 255] (a convex combination), so rounding needs no clamp.
          out[o++] = Math.round(top + (bottom - top) * ty);
        }
      }
    }
  }
  return { pixels: out, n, height: outHeight, width: outWidth, channels };
}
