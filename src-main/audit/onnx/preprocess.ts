/**
 * How an ONNX model's input is fed: the layout (NCHW as PyTorch exports, NHWC as Keras), the size, the
 * channels and the pixel scaling, resolved once from the model's declared input shape, the dataset's
 * images and the user's options; then each batch is written straight into the model's float32 input.
 * A shape that cannot fit is an InputError naming both shapes and the option that fixes it.
 */
import type { OnnxPreprocessing, OnnxPreprocessingRecord } from '../../../src-shared/contract/schemas';
import { InputError } from '../../errors/input-error';
import type { ImageSet } from '../../deep/images';
import { shapeText, type OnnxDim, type OnnxValue } from './onnx-file';

export type Layout = 'NCHW' | 'NHWC';

/** torchvision's rgb_to_grayscale weights (ITU-R 601 luma). */
const LUMA = [0.2989, 0.587, 0.114] as const;

export interface InputPlan {
  readonly layout: Layout;
  readonly layoutFrom: 'input shape' | 'option';
  readonly height: number;
  readonly width: number;
  /** Channels fed to the model. */
  readonly channels: number;
  /** Channels of the dataset's images. */
  readonly sourceChannels: number;
  /** A batch size the model fixes (its first dimension), or null for a dynamic batch. */
  readonly fixedBatch: number | null;
  readonly conversion: OnnxPreprocessingRecord['channelConversion'];
  /** Per fed channel: value = byte · scale + offset. */
  readonly scale: Float64Array;
  readonly offset: Float64Array;
  readonly normalize: { readonly mean: number; readonly std: number }[] | null;
}

export interface InputWhere {
  /** The model file, for error locations. */
  readonly file: string;
  readonly dataset: string;
  readonly resize: number | null;
}

const isChannelCount = (d: OnnxDim): boolean => d === 1 || d === 3;

function detectLayout(input: OnnxValue, where: InputWhere): Layout {
  const [, a, , c] = input.dims;
  const nchw = isChannelCount(a);
  const nhwc = isChannelCount(c);
  if (nchw && !nhwc) return 'NCHW';
  if (nhwc && !nchw) return 'NHWC';
  throw new InputError(
    `the model's input '${input.name}' has shape ${shapeText(input.dims)}: its layout cannot be told from it; give --layout NCHW (channels first, as PyTorch exports) or --layout NHWC (channels last, as Keras)`,
    { file: where.file },
  );
}

function sizeMismatch(input: OnnxValue, layout: Layout, expected: [OnnxDim, OnnxDim], images: Pick<ImageSet, 'height' | 'width'>, where: InputWhere): InputError {
  const size = expected[0] === expected[1] && typeof expected[0] === 'number' ? String(expected[0]) : '<size>';
  const fix = where.resize === null ? `give --resize ${size} to resize them bilinearly` : `give --resize ${size}`;
  return new InputError(
    `the model's input '${input.name}' has shape ${shapeText(input.dims)} (${layout}: ${expected.map((d) => (d === null ? '?' : d)).join('×')} images) but dataset '${where.dataset}' gives ` +
      `${images.height}×${images.width} images${where.resize !== null ? ` (after --resize ${where.resize})` : ''}: ${fix}`,
    { file: where.file },
  );
}

/**
 * Largest batch size a model may fix in its input shape: its batches are allocated whole (a model
 * declaring [100000000, 1, 28, 28] would otherwise claim 300 GB before running once).
 */
export const MAX_FIXED_BATCH = 65_536;

/** Resolves the plan for `images` (already resized when --resize was given). */
export function planInput(input: OnnxValue, images: Pick<ImageSet, 'height' | 'width' | 'channels'>, options: OnnxPreprocessing, where: InputWhere): InputPlan {
  const layout = options.layout ?? detectLayout(input, where);
  const layoutFrom = options.layout ? 'option' : 'input shape';
  const [batch, d1, d2, d3] = input.dims;
  if (typeof batch === 'number' && !(batch >= 1 && batch <= MAX_FIXED_BATCH)) {
    throw new InputError(`the model's input '${input.name}' has shape ${shapeText(input.dims)}: a fixed batch size must be 1 … ${MAX_FIXED_BATCH} (a dynamic one is fine)`, { file: where.file });
  }
  const [c, h, w] = layout === 'NCHW' ? [d1, d2, d3] : [d3, d1, d2];
  if ((typeof h === 'number' && h !== images.height) || (typeof w === 'number' && w !== images.width)) throw sizeMismatch(input, layout, [h, w], images, where);
  const source = images.channels;
  const stated = options.channels;
  if (typeof c === 'number' && stated !== undefined && stated !== c) {
    throw new InputError(`--channels ${stated} but the model's input '${input.name}' ${shapeText(input.dims)} takes ${c} channel${c === 1 ? '' : 's'} (${layout})`, { file: where.file });
  }
  const channels = typeof c === 'number' ? c : (stated ?? source);
  let conversion: InputPlan['conversion'] = 'none';
  if (channels !== source) {
    const fix = channels === 3 && source === 1 ? 'give --channels 3 to replicate grey into R, G and B' : channels === 1 && source === 3 ? 'give --channels 1 to feed the luma of R, G and B' : 'no option converts between these';
    if (stated !== channels || (source !== 1 && source !== 3)) {
      throw new InputError(
        `the model's input '${input.name}' has shape ${shapeText(input.dims)} (${layout}: ${channels} channel${channels === 1 ? '' : 's'}) but dataset '${where.dataset}' has ${source}-channel images: ${fix}`,
        { file: where.file },
      );
    }
    conversion = channels === 3 ? 'grey to RGB (replicated)' : 'RGB to grey (luma)';
  }
  const pairs = options.normalize ?? null;
  if (pairs !== null && pairs.length !== 1 && pairs.length !== channels) {
    throw new InputError(`--normalize gives ${pairs.length} mean,std pairs but the model is fed ${channels} channel${channels === 1 ? '' : 's'}: give one pair, or one per channel`, { file: where.file });
  }
  const normalize = pairs === null ? null : Array.from({ length: channels }, (_, k) => pairs[pairs.length === 1 ? 0 : k]);
  const scale = new Float64Array(channels);
  const offset = new Float64Array(channels);
  for (let k = 0; k < channels; k++) {
    const n = normalize?.[k] ?? { mean: 0, std: 1 };
    scale[k] = 1 / (255 * n.std);
    offset[k] = -n.mean / n.std;
  }
  return {
    layout,
    layoutFrom,
    height: images.height,
    width: images.width,
    channels,
    sourceChannels: source,
    fixedBatch: typeof batch === 'number' ? batch : null,
    conversion,
    scale,
    offset,
    normalize: normalize?.map((n) => ({ mean: n.mean, std: n.std })) ?? null,
  };
}

/**
 * Writes images `from … from + count − 1` into `out` (count × the model's image size floats, in its
 * layout); rows of `out` past `count` are left as they are (a fixed batch's padding).
 */
export function fillBatch(images: ImageSet, from: number, count: number, plan: InputPlan, out: Float32Array): void {
  const { height, width, channels, sourceChannels, scale, offset, layout } = plan;
  const plane = height * width;
  const imageFloats = plane * channels;
  const sourceBytes = plane * sourceChannels;
  const px = images.pixels;
  for (let i = 0; i < count; i++) {
    const src = (from + i) * sourceBytes;
    const dst = i * imageFloats;
    for (let p = 0; p < plane; p++) {
      const s = src + p * sourceChannels;
      for (let k = 0; k < channels; k++) {
        let byte: number;
        if (plan.conversion === 'none') byte = px[s + k];
        else if (plan.conversion === 'grey to RGB (replicated)') byte = px[s];
        else byte = LUMA[0] * px[s] + LUMA[1] * px[s + 1] + LUMA[2] * px[s + 2];
        const value = byte * scale[k] + offset[k];
        out[layout === 'NCHW' ? dst + k * plane + p : dst + p * channels + k] = value;
      }
    }
  }
}

/** The model's input dims for a batch of `n` images. */
export function batchDims(plan: InputPlan, n: number): number[] {
  return plan.layout === 'NCHW' ? [n, plan.channels, plan.height, plan.width] : [n, plan.height, plan.width, plan.channels];
}
