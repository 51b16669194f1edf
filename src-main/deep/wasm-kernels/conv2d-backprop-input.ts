/**
 * A faster Conv2DBackpropInput for the wasm backend. tfjs-backend-wasm 4.22 has this kernel, but as a
 * scalar C++ loop: on Tutorial J's CNN it took 405 ms of a 970 ms training step (batch 100), four times
 * the forward convolutions, which run on XNNPACK. For stride 1 the input gradient is itself a
 * convolution ("full" correlation with the flipped filter), so it can run on XNNPACK too:
 *
 *   dx = conv2d(dy, Wᶠ, stride 1, pad [fh−1−top, fh−1−bottom] × [fw−1−left, fw−1−right]),
 *   Wᶠ[i, j, o, c] = W[fh−1−i, fw−1−j, c, o]
 *
 * Other cases (strides > 1, padding wider than the filter, NCHW) go to the backend's own kernel, which
 * stays registered underneath: this wraps it, keeping its setup and dispose functions.
 */
import * as tf from '@tensorflow/tfjs';
import { borrowAsTensor } from './borrow';

/** True when the composition applies: stride 1 and every padding side at most the filter size − 1. */
export function fastInputGradientApplies(info: tf.backend_util.Conv2DInfo): boolean {
  const { top, bottom, left, right } = info.padInfo;
  return (
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    Math.max(top, bottom) <= info.filterHeight - 1 &&
    Math.max(left, right) <= info.filterWidth - 1
  );
}

/** dx of an NHWC stride-1 conv2d, from dy and the filter, by one forward convolution. */
export function conv2dBackpropInputByConv(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { top, bottom, left, right } = info.padInfo;
  return tf.tidy(() => {
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [fh, fw, O, C]
    return tf.conv2d(dy, flipped, 1, [
      [0, 0],
      [info.filterHeight - 1 - top, info.filterHeight - 1 - bottom],
      [info.filterWidth - 1 - left, info.filterWidth - 1 - right],
      [0, 0],
    ]);
  });
}

/** Our kernel on top of `original` (the backend's own config), which handles the cases we do not. */
export function wasmConv2dBackpropInputConfig(original: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args) => {
      const { inputs, attrs, backend } = args;
      const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const { dy, filter } = inputs;
      if (a.dataFormat !== 'NHWC' || dy === undefined || filter === undefined) return original.kernelFunc(args);
      const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
      if (!fastInputGradientApplies(info)) return original.kernelFunc(args);
      return tf.tidy(() =>
        conv2dBackpropInputByConv(
          borrowAsTensor(dy, backend as tf.KernelBackend) as tf.Tensor4D,
          borrowAsTensor(filter, backend as tf.KernelBackend) as tf.Tensor4D,
          info,
        ),
      );
    },
  };
}
