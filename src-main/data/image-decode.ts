/**
 * PNG/JPEG (and anything else libvips reads) → raw 8-bit pixels, height × width × channels, through
 * sharp. Grayscale is one channel, RGB three; alpha is dropped (the colour values are kept as stored).
 * An optional square resize stretches to size × size (no crop), as Keras' image loaders do by default.
 */
import type { Sharp, SharpOptions } from 'sharp';

/** sharp is loaded on first use, so CLI commands that never decode an image do not load libvips. */
let sharpModule: Promise<(input: Uint8Array, options?: SharpOptions) => Sharp> | undefined;
function loadSharp(): Promise<(input: Uint8Array, options?: SharpOptions) => Sharp> {
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

/** Channels an image has as stored: 1 for grayscale (with or without alpha), 3 otherwise. */
export async function storedChannels(bytes: Uint8Array): Promise<Channels> {
  const sharp = await loadSharp();
  const meta = await sharp(bytes, { failOn: 'error' }).metadata();
  return meta.channels !== undefined && meta.channels <= 2 && meta.space === 'b-w' ? 1 : 3;
}

/** Decodes `bytes`, converting to `channels` and resizing to `resize` × `resize` when given. */
export async function decodeImage(bytes: Uint8Array, channels: Channels, resize?: number): Promise<DecodedImage> {
  const sharp = await loadSharp();
  let pipeline = sharp(bytes, { failOn: 'error' }).removeAlpha();
  if (resize !== undefined) pipeline = pipeline.resize(resize, resize, { fit: 'fill' });
  pipeline = channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== channels || data.length !== info.width * info.height * channels) {
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${channels} channel(s)`);
  }
  return { width: info.width, height: info.height, channels, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
