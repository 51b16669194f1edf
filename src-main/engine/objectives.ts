import { pairwiseSum } from '../../src-shared/bounds/summation';
import type { PrimaryObjectiveName } from '../../src-shared/domain/qsa';

export type { PrimaryObjectiveName };

/**
 * Primary objectives (the loss f that candidate selection minimises) on a batch's probabilities. Each
 * returns f and, when `dProbs` is given, adds df/dP to it (autodiff of the same formula: the logistic
 * constant 1e-15 stays in).
 */
export interface PrimaryObjective {
  /** Lets a model that fuses this objective into its forward pass (predictWithBinaryLogLoss) recognise it. */
  readonly name: PrimaryObjectiveName;
  evaluate(probs: Float64Array, labels: Float64Array, labelOffset: number, nRows: number, scratch: Float64Array, dProbs?: Float64Array): number;
}

const STABILITY = 1e-15;

const binaryLogisticLoss: PrimaryObjective = {
  name: 'binary_logistic_loss',
  evaluate(probs, labels, labelOffset, nRows, scratch, dProbs) {
    for (let i = 0; i < nRows; i++) {
      const y = labels[labelOffset + i], p = probs[i];
      scratch[i] = -y * Math.log(p + STABILITY) - (1 - y) * Math.log(1 - p + STABILITY);
      if (dProbs) dProbs[i] += (-y / (p + STABILITY) + (1 - y) / (1 - p + STABILITY)) / nRows;
    }
    return pairwiseSum(scratch, 0, nRows) / nRows;
  },
};

function multiclassLogisticLoss(nClasses: number): PrimaryObjective {
  return {
    name: 'multiclass_logistic_loss',
    evaluate(probs, labels, labelOffset, nRows, scratch, dProbs) {
      for (let i = 0; i < nRows; i++) {
        const k = labels[labelOffset + i];
        const p = probs[i * nClasses + k];
        scratch[i] = Math.log(p);
        if (dProbs) dProbs[i * nClasses + k] -= 1 / (nRows * p);
      }
      return -pairwiseSum(scratch, 0, nRows) / nRows;
    },
  };
}

export function primaryObjective(name: PrimaryObjectiveName, nClasses: number): PrimaryObjective {
  switch (name) {
    case 'binary_logistic_loss':
      return binaryLogisticLoss;
    case 'multiclass_logistic_loss':
      return multiclassLogisticLoss(nClasses);
  }
}
