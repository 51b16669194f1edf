/**
 * Tutorial J's pretrained-network path on an ONNX model: the graph is cut at the input of its last Gemm
 * or MatMul (the head), or at a tensor the user names, and that tensor — flattened per row — is every
 * row's latent features, for the QSA's fresh head (audit/retrain-head.ts).
 */
import type { OnnxPreprocessing } from '../../../src-shared/contract/schemas';
import type { ImageSet } from '../../deep/images';
import { resizeImages } from '../../deep/resize';
import { InputError } from '../../errors/input-error';
import { readOnnxModel, type OnnxModelFile } from './onnx-file';
import { planInput } from './preprocess';
import { onnx, type Onnx } from '../../deep/onnx/proto';
import { runBatches } from './predict';
import { createOnnxSession } from './session';

const HEAD_OPS = new Set(['Gemm', 'MatMul']);

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

interface Cut {
  readonly tensor: string;
  /** The head's output width, from its weight initializer where it has one. */
  readonly units: number | null;
}

function findCut(file: OnnxModelFile, latentOutput: string | undefined): Cut {
  const nodes = file.graph.node ?? [];
  if (latentOutput !== undefined) {
    const produced = new Set(nodes.flatMap((n) => n.output ?? []));
    if (!produced.has(latentOutput)) {
      const names = nodes.flatMap((n) => n.output ?? []).slice(-8);
      throw new InputError(`--latent-output '${latentOutput}' is no node output of the model (its last ones: ${names.map((n) => `'${n}'`).join(', ')})`, { file: file.path });
    }
    return { tensor: latentOutput, units: null };
  }
  // Nodes are stored in topological order (the ONNX spec requires it): the last Gemm/MatMul is the head.
  const head = [...nodes].reverse().find((n) => HEAD_OPS.has(n.opType ?? ''));
  if (!head?.input?.[0]) throw new InputError('the model has no Gemm or MatMul node whose input could be its latent features: name the tensor to cut at with --latent-output <name>', { file: file.path });
  const weights = (file.graph.initializer ?? []).find((t) => t.name === head.input?.[1]);
  const transB = (head.attribute ?? []).find((a) => a.name === 'transB')?.i;
  const dims = weights?.dims?.map(Number);
  const units = dims?.length === 2 ? (head.opType === 'Gemm' && Number(transB ?? 0) === 1 ? dims[0] : dims[1]) : null;
  return { tensor: head.input[0], units };
}

/** The model with one output: the cut tensor (its shape left to ONNX Runtime). */
function cutModel(file: OnnxModelFile, tensor: string): OnnxModelFile {
  const model = onnx.ModelProto.decode(file.bytes);
  const graph = model.graph as Onnx.GraphProto;
  graph.output = [onnx.ValueInfoProto.create({ name: tensor, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } })];
  return { ...file, bytes: onnx.ModelProto.encode(model).finish(), output: { name: tensor, dims: [] } };
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
