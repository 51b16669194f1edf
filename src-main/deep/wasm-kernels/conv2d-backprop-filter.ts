/**
 * Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22 does not implement: without it
 * the gradient of any conv2d (so training any CNN) fails on wasm with "Kernel 'Conv2DBackpropFilter' not
 * registered". Composed from kernels the backend does have (transpose, pad, slice, conv2d, matMul), so it
 * runs at XNNPACK speed without shipping our own WebAssembly.
 *
 *   dW[i, j, c, o] = Σ_{b, y, x} xPadded[b, y·sh + i, x·sw + j, c] · dy[b, y, x, o]      (dilation 1)
 *
 * Two equivalent compositions; which is faster depends on the layer (measured on the Tutorial G/J CNNs):
 * - `conv`: the sum is itself a convolution of x with dy as the filter once the batch axis plays the role
 *   of the channels: conv2d(xᵀ[C, H, W, B], dyᵀ[oh, ow, B, O], dilation = stride) → [C, fh, fw, O].
 *   XNNPACK's GEMM then has C·fh·fw rows, which is efficient from a few dozen rows on.
 * - `im2col`: gather the fh·fw shifted windows of x into a [fh·fw·C, B·oh·ow] matrix and multiply by dy
 *   reshaped to [B·oh·ow, O]. Better for input layers (C = 1), where the `conv` GEMM has only fh·fw rows.
 * (A transposeA matMul would avoid building the windows channel-major, but wasm's BatchMatMul falls back
 * to a slow scalar loop for transposed operands: 10× slower here.)
 */
import * as tf from '@tensorflow/tfjs';
import { borrowAsTensor } from './borrow';

/** Picks the composition; exported for tests, which check both against the cpu backend. */
export type BackpropFilterStrategy = 'conv' | 'im2col';

/** Below this many GEMM rows (C·fh·fw) the `conv` composition loses to `im2col` (see the module comment). */
const MIN_CONV_GEMM_ROWS = 64;

export interface BackpropFilterProblem {
  readonly x: tf.Tensor4D;
  readonly dy: tf.Tensor4D;
  readonly filterShape: [number, number, number, number];
  readonly strides: number | [number, number];
  readonly pad: tf.Conv2DBackpropFilterAttrs['pad'];
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The filter gradient of an NHWC conv2d with dilation 1 (what tf.grad needs), on the current backend.
 * Returns a new tensor; intermediate tensors are released.
 */
export function conv2dBackpropFilter(problem: BackpropFilterProblem, strategy?: BackpropFilterStrategy): tf.Tensor4D {
  const { x, dy, filterShape } = problem;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    filterShape,
    problem.strides,
    1,
    problem.pad,
    problem.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (dy.shape[1] !== info.outHeight || dy.shape[2] !== info.outWidth || dy.shape[3] !== info.outChannels) {
    throw new Error(
      `Conv2DBackpropFilter (wasm): dy has shape [${dy.shape}], expected [${info.outShape}] for input [${x.shape}] and filter [${filterShape}]`,
    );
  }
  const rows = info.inChannels * info.filterHeight * info.filterWidth;
  const chosen = strategy ?? (rows < MIN_CONV_GEMM_ROWS ? 'im2col' : 'conv');
  return tf.tidy(() => (chosen === 'conv' ? viaConv(x, dy, info) : viaIm2col(x, dy, info)));
}

function viaConv(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { top, bottom, left, right } = info.padInfo;
  const xT = tf.transpose(x, [3, 1, 2, 0]); // [C, H, W, B]: channels become the batch
  const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, B, O]: dy becomes the filter
  // With dilation = stride the filter taps land on x[y·s + i]; the output may be larger than fh × fw when
  // the forward pass dropped trailing rows (floor rounding), hence the slice.
  const full = tf.conv2d(
    xT,
    dyT,
    1,
    [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
    'NHWC',
    [info.strideHeight, info.strideWidth],
  );
  const cropped =
    full.shape[1] === info.filterHeight && full.shape[2] === info.filterWidth
      ? full
      : tf.slice(full, [0, 0, 0, 0], [info.inChannels, info.filterHeight, info.filterWidth, info.outChannels]);
  return tf.transpose(cropped, [1, 2, 0, 3]); // [fh, fw, C, O]
}

function viaIm2col(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { top, bottom, left, right } = info.padInfo;
  const [batch, , , channels] = x.shape;
  const { outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, outChannels } = info;
  const padded =
    top + bottom + left + right === 0
      ? x
      : tf.pad(x, [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ]);
  // Channel-major [C, B, Hp, Wp], so each window reshapes to a [C, B·oh·ow] block with no further transpose.
  const channelMajor = channels === 1 ? tf.reshape(padded, [1, batch, padded.shape[1], padded.shape[2]]) : tf.transpose(padded, [3, 0, 1, 2]);
  const n = batch * outHeight * outWidth;
  const blocks: tf.Tensor2D[] = [];
  for (let i = 0; i < filterHeight; i++) {
    for (let j = 0; j < filterWidth; j++) {
      const window =
        strideHeight === 1 && strideWidth === 1
          ? tf.slice(channelMajor, [0, 0, i, j], [channels, batch, outHeight, outWidth])
          : tf.stridedSlice(
              channelMajor,
              [0, 0, i, j],
              [channels, batch, i + (outHeight - 1) * strideHeight + 1, j + (outWidth - 1) * strideWidth + 1],
              [1, 1, strideHeight, strideWidth],
            );
      blocks.push(tf.reshape(window, [channels, n]));
    }
  }
  // Row (i·fw + j)·C + c of the window matrix is exactly the flattened [fh, fw, C] index of the filter.
  const windows = tf.concat(blocks, 0);
  const grad = tf.matMul(windows, tf.reshape(dy, [n, outChannels]));
  return tf.reshape(grad, [filterHeight, filterWidth, channels, outChannels]);
}

/** The kernel as tf.registerKernel wants it. */
export const wasmConv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (a.dataFormat !== 'NHWC') {
      throw new Error(`Conv2DBackpropFilter (wasm): only NHWC is supported (the wasm backend's conv2d is NHWC-only), got ${a.dataFormat}`);
    }
    const { x, dy } = inputs;
    if (x === undefined || dy === undefined) throw new Error('Conv2DBackpropFilter (wasm): inputs x and dy are required');
    return tf.tidy(() =>
      conv2dBackpropFilter({
        x: borrowAsTensor(x, backend as tf.KernelBackend) as tf.Tensor4D,
        dy: borrowAsTensor(dy, backend as tf.KernelBackend) as tf.Tensor4D,
        filterShape: a.filterShape,
        strides: a.strides,
        pad: a.pad,
        dimRoundingMode: a.dimRoundingMode,
      }),
    );
  },
};
