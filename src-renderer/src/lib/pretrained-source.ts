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
