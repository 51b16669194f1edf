/**
 * A small writer of ONNX graphs on top of onnx-proto: float and int64 initializers stored as raw bytes,
 * nodes with typed attributes, fresh value names, and the encoded model. The forward, export and
 * training-step graphs (forward.ts, train-step.ts) are all built with it.
 */
import { onnx, type Onnx as proto } from './proto';

/** The opset every Fairbound graph is written for (ONNX Runtime 1.31 runs it on its CPU kernels). */
export const OPSET = 17;
const IR_VERSION = 8;

export type AttributeValue = number | readonly number[] | string | { readonly float: number };

export interface ValueSpec {
  readonly name: string;
  readonly elemType: 'float32' | 'int64';
  /** A string is a symbolic dimension (e.g. 'batch'). */
  readonly dims: readonly (number | string)[];
}

const ELEM = { float32: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64 } as const;

function attribute(name: string, value: AttributeValue): proto.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.INTS, ints: [...value] };
}

function valueInfo(v: ValueSpec): proto.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM[v.elemType],
        shape: { dim: v.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function rawBytes(view: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

export class OnnxGraph {
  private readonly nodes: proto.INodeProto[] = [];
  private readonly initializers: proto.ITensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(private readonly name: string) {}

  /** A value name not used yet, from a readable stem. */
  fresh(stem: string): string {
    let name = stem;
    while (this.names.has(name)) name = `${stem}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  /** A float32 initializer (copied); returns its name. */
  floats(name: string, dims: readonly number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new RangeError(`onnx initializer ${name}: ${data.length} values for shape ${dims.join('×')}`);
    const unique = this.fresh(name);
    this.initializers.push({ name: unique, dims: [...dims], dataType: ELEM.float32, rawData: rawBytes(data) });
    return unique;
  }

  /** An int64 constant (shapes, axes), shared between uses of the same values. */
  int64s(values: readonly number[]): string {
    const key = values.join(',');
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const unique = this.fresh(`const_i64_${values.length}`);
    this.initializers.push({ name: unique, dims: [values.length], dataType: ELEM.int64, rawData: rawBytes(BigInt64Array.from(values, (v) => BigInt(v))) });
    this.constants.set(key, unique);
    return unique;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    const key = `f:${value}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const unique = this.floats('const_f32', [], Float32Array.of(value));
    this.constants.set(key, unique);
    return unique;
  }

  /** Appends a node; returns its output names (`outputs` fresh names from the op's name unless given). */
  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, outputs: number | readonly string[] = 1): string[] {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs.map((n) => this.fresh(n));
    if (typeof outputs !== 'number') names.forEach((n, i) => {
      if (n !== outputs[i]) throw new Error(`onnx graph ${this.name}: value name ${outputs[i]} is taken`);
    });
    this.nodes.push({
      opType,
      input: [...inputs],
      output: names,
      name: this.fresh(`${opType}_node`),
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return names;
  }

  /** One-output op. */
  op1(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, output?: string): string {
    return this.op(opType, inputs, attributes, output === undefined ? 1 : [output])[0];
  }

  /** Reserves a graph input's name (call before building nodes on it). */
  input(name: string): string {
    if (this.names.has(name)) throw new Error(`onnx graph ${this.name}: input ${name} is taken`);
    this.names.add(name);
    return name;
  }

  /** The encoded ModelProto with these inputs and outputs, and `metadata` as its metadata_props. */
  encode(inputs: readonly ValueSpec[], outputs: readonly ValueSpec[], docString: string, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'fairbound',
      docString,
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: inputs.map(valueInfo),
        output: outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
