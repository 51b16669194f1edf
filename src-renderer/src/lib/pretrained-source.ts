/** A pretrained run's source model in words, for the run page's settings (pure). */
import type { RunDetail } from '../../../src-shared/contract';
import type { PretrainedSource } from '../../../src-shared/domain/runs';

export function pretrainedSourceRows(detail: RunDetail): [string, string][] {
  const source = (detail.settings as { pretrained?: PretrainedSource }).pretrained;
  if (!source) return [];
  const body = detail.pretrainedBody;
  const pre = source.preprocessing;
  const rows: [string, string][] = [
    ['Pretrained model', `${source.kind === 'onnx' ? 'ONNX' : 'TF.js layers'} ${source.path} (not trained here; its training rows are unknown)`],
    ['SHA-256', source.files.map((f) => `${f.name} ${f.sha256}`).join(', ')],
    ['Cut at', body ? `'${body.cutAt}': its ${body.replacedHead.inputDim} → ${body.replacedHead.units} head replaced by the QSA's; latent features on ${body.computedBy}` : source.latentOutput !== null ? `'${source.latentOutput}' (as asked)` : 'the input of the last Gemm/MatMul'],
  ];
  if (pre !== null) {
    const parts = [pre.layout ?? 'layout from the input shape', 'pixels in [0, 1]'];
    if (pre.normalize) parts.push(`then (x − mean)/std with ${pre.normalize.map((n) => `${n.mean},${n.std}`).join(' ')}`);
    if (pre.channels !== undefined) parts.push(`${pre.channels} channel${pre.channels === 1 ? '' : 's'}`);
    rows.push(['Pre-processing', parts.join(', ')]);
  }
  return rows;
}

/**
 * The one export a pretrained run's model has, which its audit and certificate run: 'onnx' (an ONNX
 * source's graph cut at the latent tensor with the run's head) or 'tfjs' (a TF.js source's layers cut
 * before its last dense layer with the run's head); null for the other pipelines, which have both.
 */
export function pretrainedExportFormat(detail: RunDetail): 'onnx' | 'tfjs' | null {
  const source = (detail.settings as { pretrained?: PretrainedSource }).pretrained;
  return source ? source.kind : null;
}

/** A pretrained run's export in words, for the run page's titles. */
export function pretrainedExportText(format: 'onnx' | 'tfjs'): string {
  return format === 'onnx'
    ? "its ONNX export (the source model cut at its latent features, with the run's head), fed with the run's pre-processing"
    : "its TF.js export (the source model cut before its last dense layer, with the run's head)";
}

/**
 * What computed a finished pretrained run, for the run page's backend card: the source body's engine and
 * the head QSA's kernel; an ONNX source ran nothing on the TF.js backend the report shows. Null otherwise.
 */
export function pretrainedComputedText(detail: RunDetail): string | null {
  const body = detail.pretrainedBody;
  if (!body) return null;
  const kernel = body.kernel.name === 'simd' ? `SIMD kernel (${body.kernel.threads} threads)` : 'JS kernel';
  const tfjsIdle = pretrainedExportFormat(detail) === 'onnx' ? ' TF.js computed nothing in this run: the backend below was only loaded.' : '';
  return `The source model's body computed the latent features on ${body.computedBy}; the head's QSA ran in Fairbound's engine on the ${kernel}.${tfjsIdle}`;
}
