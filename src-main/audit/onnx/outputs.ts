/**
 * How an ONNX model's output reads as the audit's class probabilities: logits (softmax over K scores,
 * sigmoid over one) or probabilities as they are, stated by the user or read from the operator that
 * produces the output; and which columns the audit takes: P(y = 1) for a binary dataset (column 1 of
 * two, the one sigmoid, or `positiveClass` of a multiclass model), all K otherwise.
 */
import type { OnnxPreprocessing } from '../../../src-shared/contract/schemas';
import { InputError } from '../../errors/input-error';

export type OutputMeaning = 'logits' | 'probabilities';

export interface OutputPlan {
  readonly meaning: OutputMeaning;
  readonly meaningFrom: 'graph' | 'option';
  /** Scores per row the model gives. */
  readonly k: number;
  readonly positiveClass: number | null;
  /** Columns of the audit's probabilities: 1 (P(y = 1)) or the dataset's class count. */
  readonly nOutputs: number;
}

const PROBABILITY_OPS = new Set(['Softmax', 'Sigmoid']);
// LogSoftmax gives log-probabilities, whose softmax is the probabilities: they read as logits.
const SCORE_OPS = new Set(['Gemm', 'MatMul', 'Add', 'Conv', 'LogSoftmax']);

/** Tolerance of a probabilities output: values in [−t, 1 + t], rows summing to 1 ± t (float32 sums). */
const PROBABILITY_TOLERANCE = 1e-3;

/**
 * The output's meaning and columns. `producer`: the operator that produces the output (null: unknown);
 * `k`: its scores per row.
 */
export function planOutput(producer: string | null, k: number, options: OnnxPreprocessing, nClasses: number, where: { readonly file: string; readonly dataset: string; readonly output: string }): OutputPlan {
  let meaning: OutputMeaning;
  if (options.output !== undefined) meaning = options.output;
  else if (producer !== null && PROBABILITY_OPS.has(producer)) meaning = 'probabilities';
  else if (producer !== null && SCORE_OPS.has(producer)) meaning = 'logits';
  else {
    throw new InputError(
      `the model's output '${where.output}' comes from ${producer === null ? 'no operator the audit can see' : `a ${producer} operator`}, which does not say whether it gives logits or probabilities: give --output logits or --output probabilities`,
      { file: where.file },
    );
  }
  const meaningFrom = options.output !== undefined ? 'option' : 'graph';
  const shape = `[batch, ${k}]`;
  const positive = options.positiveClass ?? null;
  if (positive !== null) {
    if (nClasses !== 2) throw new InputError(`--positive-class audits one class of the model against the rest on a binary dataset, but dataset '${where.dataset}' has ${nClasses} classes`, { file: where.file });
    if (k < 2 || positive >= k) throw new InputError(`--positive-class ${positive} but the model's output '${where.output}' has shape ${shape} (classes 0 … ${k - 1})`, { file: where.file });
    return { meaning, meaningFrom, k, positiveClass: positive, nOutputs: 1 };
  }
  if (k === 1) {
    if (nClasses !== 2) throw new InputError(`the model's output '${where.output}' has shape ${shape} (one binary score) but dataset '${where.dataset}' has ${nClasses} classes`, { file: where.file });
    return { meaning, meaningFrom, k, positiveClass: null, nOutputs: 1 };
  }
  if (k !== nClasses) {
    const fix = nClasses === 2 ? ': give --positive-class <K> to audit the model\'s class K against the rest' : '';
    throw new InputError(`the model's output '${where.output}' has shape ${shape} (${k} classes) but dataset '${where.dataset}' has ${nClasses} classes${fix}`, { file: where.file });
  }
  return { meaning, meaningFrom, k, positiveClass: null, nOutputs: nClasses === 2 ? 1 : k };
}

/**
 * Writes `count` rows of the model's scores (`values`, count × k float32) as the audit's probabilities
 * into `probs` from row `firstRow`. Softmax and sigmoid in float64. A 'probabilities' output that is not
 * one is an InputError naming the row and the option that fixes it.
 */
export function writeProbabilities(values: Float32Array, count: number, plan: OutputPlan, probs: Float64Array, firstRow: number, file: string): void {
  const { k, nOutputs } = plan;
  const row = new Float64Array(k);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < k; c++) row[c] = values[i * k + c];
    if (plan.meaning === 'logits') {
      if (k === 1) row[0] = 1 / (1 + Math.exp(-row[0]));
      else {
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, row[c]);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += row[c] = Math.exp(row[c] - max);
        for (let c = 0; c < k; c++) row[c] /= sum;
      }
    } else {
      let sum = 0;
      for (let c = 0; c < k; c++) {
        if (!(row[c] >= -PROBABILITY_TOLERANCE && row[c] <= 1 + PROBABILITY_TOLERANCE)) throw notProbabilities(firstRow + i, `score ${c} is ${row[c]}`, file);
        row[c] = Math.min(1, Math.max(0, row[c]));
        sum += row[c];
      }
      if (k > 1 && Math.abs(sum - 1) > PROBABILITY_TOLERANCE) throw notProbabilities(firstRow + i, `its scores sum to ${sum}`, file);
    }
    const at = (firstRow + i) * nOutputs;
    if (nOutputs === 1) probs[at] = k === 1 ? row[0] : row[plan.positiveClass ?? 1];
    else for (let c = 0; c < k; c++) probs[at + c] = row[c];
  }
}

function notProbabilities(row: number, what: string, file: string): InputError {
  return new InputError(`the model's output for audited row ${row} is no probability distribution (${what}): give --output logits if the model ends in scores`, { file });
}
