/**
 * onnx-proto's ONNX protobuf classes. The package is CommonJS whose exports Node's ESM loader cannot name
 * (`import { onnx } from 'onnx-proto'` fails outside a bundler), so it is imported whole, once, here.
 */
import onnxProto from 'onnx-proto';

export const onnx: typeof onnxProto.onnx = onnxProto.onnx;
export type { onnx as Onnx } from 'onnx-proto';
