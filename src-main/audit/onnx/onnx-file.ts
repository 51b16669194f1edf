/**
 * Reads and checks an ONNX model file before ONNX Runtime sees it: its size against the cap (before any
 * byte is read), its protobuf (onnx-proto), its one image input and one output, and the locations of its
 * external data, which must be files inside the model's folder (ORT would otherwise open whatever path
 * the file names). Every refusal is an InputError naming the file.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { onnx, type Onnx } from '../../deep/onnx/proto';
import { formatBytes } from '../../data/file-limits';
import { checkRegularFileSync, InputError, readFileOrThrow } from '../../errors/input-error';

/**
 * Largest ONNX file read: protobuf's own limit for one message (2 GiB). Larger models keep their weights
 * in external data files, which are capped separately.
 */
export const MAX_ONNX_MODEL_BYTES = 2 * 1024 ** 3 - 1;

/** Most bytes of external data (all files together) a model may name. */
export const MAX_ONNX_EXTERNAL_BYTES = 16 * 1024 ** 3;

/** A tensor dimension: a number, a named dynamic dimension, or an unnamed unknown one (null). */
export type OnnxDim = number | string | null;

export interface OnnxValue {
  readonly name: string;
  readonly dims: readonly OnnxDim[];
}

export interface OnnxModelFile {
  readonly path: string;
  /** The bytes checked here, which the session is created from (unless hasExternalData). */
  readonly bytes: Uint8Array;
  /** The model names external data files: ORT must open it by path to find them (checked to lie in its folder). */
  readonly hasExternalData: boolean;
  readonly input: OnnxValue;
  readonly output: OnnxValue;
  readonly graph: Onnx.IGraphProto;
}

export function dimText(d: OnnxDim): string {
  return d === null ? '?' : String(d);
}

export function shapeText(dims: readonly OnnxDim[]): string {
  return `[${dims.map(dimText).join(', ')}]`;
}

const ELEMENT_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(onnx.TensorProto.DataType).filter((e): e is [string, number] => typeof e[1] === 'number').map(([name, code]) => [code, name.toLowerCase()]),
);

function valueOf(info: Onnx.IValueInfoProto, what: 'input' | 'output', path: string): OnnxValue & { readonly elemType: number } {
  const name = info.name ?? '';
  const tensor = info.type?.tensorType;
  if (!tensor) throw new InputError(`the model's ${what} '${name}' is not a tensor (a sequence or map): an image classifier takes and gives tensors`, { file: path });
  const dims = (tensor.shape?.dim ?? []).map((d): OnnxDim => {
    const dim = d as Onnx.TensorShapeProto.Dimension;
    if (dim.value === 'dimValue') return Number(dim.dimValue);
    if (dim.value === 'dimParam') return dim.dimParam ?? null;
    return null;
  });
  return { name, dims, elemType: tensor.elemType ?? 0 };
}

/** Tensors of the graph and its subgraphs that may hold data: initializers and attribute tensors. */
function* tensorsOf(graph: Onnx.IGraphProto): Generator<Onnx.ITensorProto> {
  yield* graph.initializer ?? [];
  for (const sparse of graph.sparseInitializer ?? []) {
    if (sparse.values) yield sparse.values;
    if (sparse.indices) yield sparse.indices;
  }
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.t) yield attribute.t;
      yield* attribute.tensors ?? [];
      if (attribute.g) yield* tensorsOf(attribute.g);
      for (const g of attribute.graphs ?? []) yield* tensorsOf(g);
    }
  }
}

function inside(folder: string, target: string): boolean {
  const rel = relative(folder, target);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Checks every external data reference: a relative location inside the model's folder (after resolving
 * links), an existing regular file, and offset + length within it. Returns whether there is any.
 */
function checkExternalData(graph: Onnx.IGraphProto, path: string): boolean {
  const folder = dirname(resolve(path));
  const realFolder = realpathSync(folder);
  let total = 0;
  let any = false;
  const sizes = new Map<string, number>();
  for (const tensor of tensorsOf(graph)) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    any = true;
    const entries = new Map((tensor.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entries.get('location');
    const what = `tensor '${tensor.name ?? ''}'`;
    if (!location) throw new InputError(`${what} is stored as external data but names no location`, { file: path });
    const target = resolve(folder, location);
    if (isAbsolute(location) || !inside(folder, target)) {
      throw new InputError(`${what} names external data '${location}', outside the model's folder ${folder}: external data must lie in the model's folder`, { file: path });
    }
    let size = sizes.get(target);
    if (size === undefined) {
      try {
        size = checkRegularFileSync(target);
      } catch (error) {
        throw new InputError(`${what} names external data '${location}': ${error instanceof InputError ? error.detail : String(error)}`, { file: path });
      }
      // A link inside the folder that points outside it is outside it.
      if (!inside(realFolder, realpathSync(target))) {
        throw new InputError(`${what} names external data '${location}', a link to a file outside the model's folder ${folder}`, { file: path });
      }
      sizes.set(target, size);
      total += size;
    }
    const offset = Number(entries.get('offset') ?? '0');
    const length = entries.has('length') ? Number(entries.get('length')) : size - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      throw new InputError(`${what} reads bytes ${entries.get('offset') ?? '0'} + ${entries.get('length') ?? '(rest)'} of '${location}', which holds ${size} bytes`, { file: path });
    }
  }
  if (total > MAX_ONNX_EXTERNAL_BYTES) {
    throw new InputError(`the model's external data files hold ${total} bytes, more than the ${formatBytes(MAX_ONNX_EXTERNAL_BYTES)} an audited model may have`, { file: path });
  }
  return any;
}

function decode(bytes: Uint8Array, path: string): Onnx.ModelProto {
  // Every exporter writes the IR version (field 1, a varint: tag byte 0x08) first.
  const startsLikeOnnx = bytes.length > 0 && bytes[0] === 0x08;
  let model: Onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (!startsLikeOnnx) throw new InputError(`not an ONNX model: the file is no ONNX protobuf (${reason})`, { file: path });
    throw new InputError(`the ONNX model is truncated or damaged: its protobuf ends early or breaks off (${reason}; ${bytes.length} bytes read)`, { file: path });
  }
  if (!startsLikeOnnx || Number(model.irVersion) <= 0 || !model.graph) {
    throw new InputError('not an ONNX model: the file holds no IR version and graph', { file: path });
  }
  if ((model.graph.node ?? []).length === 0) {
    throw new InputError(`the ONNX model's graph has no nodes${startsLikeOnnx ? ' (a truncated file?)' : ''}`, { file: path });
  }
  return model;
}

/** Reads the file and checks everything above; the caller creates its session from the result. */
export function readOnnxModel(path: string): OnnxModelFile {
  const size = checkRegularFileSync(path);
  if (size > MAX_ONNX_MODEL_BYTES) {
    throw new InputError(`the ONNX model is ${size} bytes, over the ${formatBytes(MAX_ONNX_MODEL_BYTES + 1)} protobuf limit (a larger model keeps its weights in external data files)`, { file: path });
  }
  const bytes = readFileOrThrow(path, MAX_ONNX_MODEL_BYTES);
  const model = decode(bytes, path);
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  // Older exporters list the initializers among the inputs too: those have defaults and are not fed.
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? ''));
  if (inputs.length !== 1) {
    throw new InputError(`the model takes ${inputs.length} inputs (${inputs.map((i) => `'${i.name ?? ''}'`).join(', ') || 'none'}); an audited image classifier takes one`, { file: path });
  }
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) {
    throw new InputError(`the model gives ${outputs.length} outputs (${outputs.map((o) => `'${o.name ?? ''}'`).join(', ') || 'none'}); an audited classifier gives one`, { file: path });
  }
  const input = valueOf(inputs[0], 'input', path);
  if (input.elemType !== onnx.TensorProto.DataType.FLOAT) {
    throw new InputError(`the model's input '${input.name}' has element type ${ELEMENT_TYPE_NAMES[input.elemType] ?? input.elemType}; images are fed as float (float32)`, { file: path });
  }
  if (input.dims.length !== 4) {
    throw new InputError(`the model's input '${input.name}' has shape ${shapeText(input.dims)} (rank ${input.dims.length}); an image model takes rank 4: [batch, channels, height, width] (NCHW) or [batch, height, width, channels] (NHWC)`, { file: path });
  }
  const output = valueOf(outputs[0], 'output', path);
  if (output.elemType !== onnx.TensorProto.DataType.FLOAT) {
    throw new InputError(`the model's output '${output.name}' has element type ${ELEMENT_TYPE_NAMES[output.elemType] ?? output.elemType}; a classifier's scores are float (float32)`, { file: path });
  }
  if (output.dims.length !== 2) {
    throw new InputError(`the model's output '${output.name}' has shape ${shapeText(output.dims)}; a classifier outputs [batch, K] (K class scores, or one for a binary model)`, { file: path });
  }
  const hasExternalData = checkExternalData(graph, path);
  return { path, bytes, hasExternalData, input: { name: input.name, dims: input.dims }, output: { name: output.name, dims: output.dims }, graph };
}

/**
 * The operator that produces the output, looking through ops that only reshape or rename (Identity,
 * Flatten, Reshape, Squeeze): how the output reads (Softmax/Sigmoid: probabilities; Gemm, MatMul, Add:
 * scores), or null where the graph does not say.
 */
export function outputProducer(graph: Onnx.IGraphProto, outputName: string): string | null {
  const producers = new Map<string, Onnx.INodeProto>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producers.set(out, node);
  let name = outputName;
  for (let hops = 0; hops < 16; hops++) {
    const node = producers.get(name);
    if (!node) return null;
    const op = node.opType ?? '';
    if (!['Identity', 'Flatten', 'Reshape', 'Squeeze'].includes(op) || !node.input?.[0]) return op;
    name = node.input[0];
  }
  return null;
}

