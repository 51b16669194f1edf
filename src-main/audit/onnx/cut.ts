/**
 * Where Tutorial J's pretrained-network path cuts an ONNX model: the input of its last Gemm or MatMul (the
 * head), or a node output the user names; and the model with that tensor as its one output. Without ONNX
 * Runtime, so that a run is checked (and its cut named) before it is queued.
 */
import { InputError } from '../../errors/input-error';
import { onnx, type Onnx } from '../../deep/onnx/proto';
import type { OnnxModelFile } from './onnx-file';

const HEAD_OPS = new Set(['Gemm', 'MatMul']);

export interface Cut {
  readonly tensor: string;
  /** The head's output width, from its weight initializer where it has one. */
  readonly units: number | null;
}

export function findCut(file: OnnxModelFile, latentOutput: string | undefined): Cut {
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
export function cutModel(file: OnnxModelFile, tensor: string): OnnxModelFile {
  const model = onnx.ModelProto.decode(file.bytes);
  const graph = model.graph as Onnx.GraphProto;
  graph.output = [onnx.ValueInfoProto.create({ name: tensor, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } })];
  return { ...file, bytes: onnx.ModelProto.encode(model).finish(), output: { name: tensor, dims: [] } };
}
