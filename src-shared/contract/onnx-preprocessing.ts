/**
 * An ONNX audit's pre-processing in words, and the `mean,std[,mean,std…]` list the user types for it:
 * shared by `fairbound audit` (--normalize, the text output) and the Audit page.
 */
import type { OnnxPreprocessing, OnnxPreprocessingRecord } from './schemas';

/**
 * `0.2860,0.3530` → one mean,std pair (every channel); six numbers → one pair per RGB channel. A string
 * says what is wrong.
 * @example parseNormalizePairs('0.5,0.25') // [{ mean: 0.5, std: 0.25 }]
 */
export function parseNormalizePairs(text: string): NonNullable<OnnxPreprocessing['normalize']> | string {
  const numbers = text.split(',').map((t) => (t.trim() === '' ? Number.NaN : Number(t.trim())));
  if (numbers.length % 2 !== 0 || numbers.some((v) => !Number.isFinite(v))) return `mean,std pairs (one, or one per channel) are expected, e.g. 0.2860,0.3530; got '${text}'`;
  if (numbers.length > 8) return `at most 4 mean,std pairs (one per channel), got ${numbers.length / 2}`;
  const pairs = Array.from({ length: numbers.length / 2 }, (_, i) => ({ mean: numbers[2 * i], std: numbers[2 * i + 1] }));
  if (pairs.some((p) => p.std <= 0)) return `every std must be positive, got '${text}'`;
  return pairs;
}

/** One line: what the model was fed and how its output was read. */
export function onnxPreprocessingText(p: OnnxPreprocessingRecord): string {
  const scaling = p.normalize === null ? 'pixels in [0, 1]' : `pixels in [0, 1], then (x − mean)/std with ${p.normalize.map((n) => `${n.mean},${n.std}`).join(' ')}`;
  const size = `${p.height}×${p.width}×${p.channels}${p.resize !== null ? ` (resized to ${p.resize})` : ''}`;
  const conversion = p.channelConversion === 'none' ? '' : `, ${p.channelConversion}`;
  const output = `${p.output} (${p.outputFrom === 'graph' ? "read from the model's last operator" : 'as stated'}) over ${p.outputs} output${p.outputs === 1 ? '' : 's'}`;
  return `input ${p.input}, ${p.layout} (${p.layoutFrom === 'option' ? 'as stated' : 'from the input shape'}), ${size}${conversion}, ${scaling}; output ${output}${p.positiveClass !== null ? `, positive class ${p.positiveClass}` : ''}`;
}
