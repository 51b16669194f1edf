/**
 * Tutorial J's pretrained-network path on an ONNX model: the graph is cut at the input of its last Gemm
 * or MatMul (the head), or at a tensor the user names, and that tensor — flattened per row — is every
 * row's latent features, for the QSA's fresh head (audit/retrain-head.ts).
 */
import type { OnnxPreprocessing } from '../../../src-shared/contract/schemas';
import type { ImageSet } from '../../deep/images';
import { resizeImages } from '../../deep/resize';
import { InputError } from '../../errors/input-error';
import { readOnnxModel } from './onnx-file';
import { planInput } from './preprocess';
import { cutModel, findCut } from './cut';
import { runBatches } from './predict';
import { createOnnxSession } from './session';

export interface OnnxLatents {
  /** Row-major, rows × dim. */
  readonly latents: Float32Array;
  readonly dim: number;
  /** The tensor cut at. */
  readonly cutAt: string;
  /** The replaced head's widths (the latent dim, and the model's output width where the head's weights do not say). */
  readonly replacedHead: { readonly inputDim: number; readonly units: number };
  readonly backendText: string;
}

export interface OnnxLatentOptions {
  readonly preprocessing: OnnxPreprocessing;
  readonly resize: number | null;
  readonly latentOutput?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Every row's (of `rows`, in its order) latent features from the ONNX model at `path`. */
export async function onnxLatents(path: string, source: ImageSet, rows: Int32Array, datasetName: string, options: OnnxLatentOptions): Promise<OnnxLatents> {
  const file = readOnnxModel(path);
  // A buffer has no folder to find external data in: the cut model could not be created from it.
  if (file.hasExternalData) throw new InputError('--retrain-head needs a model without external data files (its weights inside the .onnx file)', { file: path });
  const images = resizeImages(source, options.resize ?? source.height, options.resize ?? source.width, rows);
  const plan = planInput(file.input, images, options.preprocessing, { file: path, dataset: datasetName, resize: options.resize });
  const cut = findCut(file, options.latentOutput);
  const session = await createOnnxSession(cutModel(file, cut.tensor));
  try {
    let latents: Float32Array | null = null;
    let dim = 0;
    await runBatches(session, file, images, plan, options, (values, dims, from, count) => {
      const width = dims.slice(1).reduce((a, b) => a * b, 1);
      if (latents === null) {
        dim = width;
        latents = new Float32Array(images.n * dim);
      } else if (width !== dim) {
        throw new InputError(`the latent tensor '${cut.tensor}' has shape [${dims.join(', ')}], ${width} values per row where earlier batches had ${dim}`, { file: path });
      }
      latents.set(values.subarray(0, count * dim), from * dim);
    });
    if (latents === null) throw new InputError('no rows to compute latent features for', { file: path });
    const fileOutputs = file.output.dims[1];
    return { latents, dim, cutAt: cut.tensor, replacedHead: { inputDim: dim, units: cut.units ?? (typeof fileOutputs === 'number' ? fileOutputs : 0) }, backendText: session.describe };
  } finally {
    await session.release();
  }
}
