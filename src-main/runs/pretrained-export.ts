/**
 * A pretrained run's model as one ONNX file: the user's own graph cut at the tensor the run took its
 * latent features from (every node the cut does not need dropped, the replaced head with them), then
 * Flatten → Gemm (the QSA's head as a dense layer, headThetaAsDense) → Softmax, output `probabilities`
 * N×K. Its input is the source model's input, fed as the run fed it (the run's recorded pre-processing:
 * pixels / 255, layout, normalisation happen before the graph, as they did for the source model). The
 * source file must still be the one the run hashed.
 */
import { onnx, type Onnx } from '../deep/onnx/proto';
import { InputError } from '../errors/input-error';
import type { RunWeightsKind } from '../store/run-results';
import type { RunInfo } from '../store/runs';
import { verifiedSourceFiles } from './pretrained-source-files';
import type { OnnxPreprocessing } from '../../src-shared/contract/schemas';

export type PretrainedWhich = 'seldonian' | 'candidate' | 'initial';

/** The pretrained run's source ONNX model: its one recorded file, checked against the SHA-256 the run recorded. */
function sourceBytes(run: RunInfo): Uint8Array {
  const [bytes] = verifiedSourceFiles(run).values();
  if (bytes === undefined) throw new Error(`run ${run.id} recorded no source model file`);
  return bytes;
}

function freeName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

function floatInitializer(name: string, dims: readonly number[], values: Float32Array): Onnx.ITensorProto {
  return { name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

/** Where the run cut its source model, and the run's head as a dense layer (both exports put it on top). */
export interface PretrainedHead {
  /** ONNX: the tensor cut at; TF.js: the body's last layer. */
  readonly cutAt: string;
  /** Dense(d → K): kernel d×K row-major, bias K. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly inputDim: number;
  readonly numClasses: number;
}

/** The source graph cut at `head.cutAt` with the head on top: the model's bytes and its input's dims. */
export function pretrainedOnnxBytes(run: RunInfo, head: PretrainedHead, which: PretrainedWhich): { readonly bytes: Uint8Array; readonly input: (number | string)[] } {
  const model = onnx.ModelProto.decode(sourceBytes(run));
  const graph = model.graph as Onnx.GraphProto;
  const nodes = graph.node ?? [];
  // Nodes are in topological order (the ONNX spec requires it): walking back from the cut keeps what it needs.
  const needed = new Set([head.cutAt]);
  const kept: Onnx.INodeProto[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!(node.output ?? []).some((o) => needed.has(o))) continue;
    kept.unshift(node);
    for (const input of node.input ?? []) if (input !== '') needed.add(input);
  }
  if (kept.length === 0) throw new InputError(`no node of run ${run.id}'s source model outputs '${head.cutAt}', the tensor the run cut at`, { file: run.settings.pretrained?.path });
  const taken = new Set([...nodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]), ...(graph.initializer ?? []).map((t) => t.name ?? ''), ...(graph.input ?? []).map((v) => v.name ?? '')]);
  const name = (base: string): string => {
    const picked = freeName(base, taken);
    taken.add(picked);
    return picked;
  };
  const flat = name('fairbound_latent');
  const kernel = name('fairbound_head_kernel');
  const bias = name('fairbound_head_bias');
  const logits = name('fairbound_logits');
  const output = name('probabilities');
  kept.push(
    { opType: 'Flatten', input: [head.cutAt], output: [flat], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
    { opType: 'Gemm', input: [flat, kernel, bias], output: [logits] },
    { opType: 'Softmax', input: [logits], output: [output], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
  );
  graph.node = kept.map((n) => onnx.NodeProto.create(n));
  graph.initializer = [
    ...(graph.initializer ?? []).filter((t) => needed.has(t.name ?? '')),
    onnx.TensorProto.create(floatInitializer(kernel, [head.inputDim, head.numClasses], head.kernel)),
    onnx.TensorProto.create(floatInitializer(bias, [head.numClasses], head.bias)),
  ];
  // Older exporters list initializers among the inputs: keep only the inputs the cut graph still reads.
  graph.input = (graph.input ?? []).filter((v) => needed.has(v.name ?? '')).map((v) => onnx.ValueInfoProto.create(v));
  graph.output = [
    onnx.ValueInfoProto.create({ name: output, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: head.numClasses }] } } } }),
  ];
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => needed.has(v.name ?? ''));
  model.docString = `Fairbound run ${run.id} (pretrained: ${run.architecture}, ${which} head, ${run.status}): the source model cut at '${head.cutAt}', then the QSA's head; output '${output}': N×${head.numClasses} class probabilities.`;
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((p) => p.key !== 'fairbound_run'),
    onnx.StringStringEntryProto.create({ key: 'fairbound_run', value: JSON.stringify({ id: run.id, status: run.status, weights: which, pipeline: run.pipeline, source: run.settings.pretrained?.files[0], cutAt: head.cutAt, constraints: run.constraints }) }),
  ];
  const dims = graph.input[0]?.type?.tensorType?.shape?.dim ?? [];
  return { bytes: onnx.ModelProto.encode(model).finish(), input: dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : '?')) };
}

/** Which stored head θ an export takes. */
export function pretrainedHeadKind(run: RunInfo, which: string): RunWeightsKind & `head_${string}` {
  if (which === 'seldonian') return 'head_solution';
  if (which === 'candidate') return 'head_candidate';
  if (which === 'initial') return 'head_initial';
  throw new InputError(`run ${run.id} is a pretrained run: its body was not trained here, so there is no '${which}' model (use seldonian, candidate or initial)`);
}

/**
 * How the export's input is fed: the run's own layout, normalisation and channel conversion. Its output is
 * the head's softmax over the dataset's classes, so the source model's output options do not apply to it.
 */
export function pretrainedExportPreprocessing(run: RunInfo): OnnxPreprocessing {
  const p = run.settings.pretrained?.preprocessing ?? {};
  return {
    ...(p.layout !== undefined ? { layout: p.layout } : {}),
    ...(p.normalize !== undefined ? { normalize: p.normalize.map((n) => ({ ...n })) } : {}),
    ...(p.channels !== undefined ? { channels: p.channels } : {}),
  };
}
