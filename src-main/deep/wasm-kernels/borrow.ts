import * as tf from '@tensorflow/tfjs';

/**
 * Kernels receive TensorInfos; wrapping one as a Tensor (sharing its data) lets a kernel be composed of
 * ordinary ops. The wrapper takes its own reference on the data, so that disposing it (at the end of the
 * kernel's tidy) does not free the caller's input. Ops nested inside a kernel are not taped.
 */
export function borrowAsTensor(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor {
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}
