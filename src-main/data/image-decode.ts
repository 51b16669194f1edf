/**
 * PNG/JPEG (and anything else libvips reads) → raw 8-bit pixels, height × width × channels, through
 * sharp. Grayscale is one channel, RGB three; alpha is dropped (the colour values are kept as stored).
 * An optional square resize stretches to size × size (no crop), as Keras' image loaders do by default.
 *
 * sharp refuses to decode an image of more than `MAX_IMAGE_PIXELS` (from its header, before decoding);
 * `probeImageFile` reads only the header, so callers can refuse or budget an image before decoding it.
 */
import type { Sharp, SharpOptions } from 'sharp';
import { MAX_IMAGE_PIXELS } from './file-limits';

/** sharp is loaded on first use, so CLI commands that never decode an image do not load libvips. */
let sharpModule: Promise<(input: Uint8Array | string, options?: SharpOptions) => Sharp> | undefined;
function loadSharp(): Promise<(input: Uint8Array | string, options?: SharpOptions) => Sharp> {
  sharpModule ??= import('sharp').then((m) => m.default);
  return sharpModule;
}

export type Channels = 1 | 3;

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: Channels;
  readonly pixels: Uint8Array;
}

export interface ImageHeader {
  readonly width: number;
  readonly height: number;
  /** Channels as stored: 1 for grayscale (with or without alpha), 3 otherwise. */
  readonly channels: Channels;
  /** Bands libvips decodes (alpha included), for estimating the memory a decode takes. */
  readonly bands: number;
}

/** The header of the image file at `path` (a regular file), without decoding its pixels. */
export async function probeImageFile(path: string): Promise<ImageHeader> {
  const sharp = await loadSharp();
  // No pixel limit here: the header alone is read, and the caller words the refusal.
  const meta = await sharp(path, { failOn: 'error', limitInputPixels: false }).metadata();
  if (meta.width === undefined || meta.height === undefined) throw new Error('the image has no width or height');
  const bands = meta.channels ?? 3;
  return { width: meta.width, height: meta.height, channels: bands <= 2 && meta.space === 'b-w' ? 1 : 3, bands };
}

/** Decodes `bytes`, converting to `channels` and resizing to `resize` × `resize` when given. */
export async function decodeImage(bytes: Uint8Array, channels: Channels, resize?: number): Promise<DecodedImage> {
  const sharp = await loadSharp();
  let pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS }).removeAlpha();
  if (resize !== undefined) pipeline = pipeline.resize(resize, resize, { fit: 'fill' });
  pipeline = channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== channels || data.length !== info.width * info.height * channels) {
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${channels} channel(s)`);
  }
  return { width: info.width, height: info.height, channels, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
