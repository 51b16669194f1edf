/**
 * onnx-proto's ONNX protobuf classes, for the graphs Fairbound writes (graph.ts) and the model files it
 * reads (audit/onnx). The package is CommonJS (`module.exports = $root`): Node's ESM loader exposes it only
 * as the default export (the CLI and worker bundles leave packages external), bundlers and vitest as named
 * exports, so it is resolved once, here.
 */
import * as onnxProto from 'onnx-proto';

export const onnx: typeof onnxProto.onnx = ((onnxProto as { default?: typeof onnxProto }).default ?? onnxProto).onnx;
export type { onnx as Onnx } from 'onnx-proto';
