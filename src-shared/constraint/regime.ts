/** What each sub-regime's constraints may mention: its measures, the functions, and the infix operators' engine names. */
import type { BinaryOperator, MeasureName, SubRegime, UnaryOperator } from './ast';
import type { InfixSymbol } from './syntax';

/** Measures per sub-regime with the number of class indices each takes. */
export const MEASURES: Readonly<Record<SubRegime, ReadonlyMap<MeasureName, 0 | 1 | 2>>> = {
  classification: new Map<MeasureName, 0 | 1 | 2>([
    ['PR', 0], ['NR', 0], ['FPR', 0], ['TPR', 0], ['FNR', 0], ['TNR', 0], ['ACC', 0],
  ]),
  multiclass_classification: new Map<MeasureName, 0 | 1 | 2>([
    ['PR', 1], ['NR', 1], ['FPR', 1], ['TPR', 1], ['FNR', 1], ['TNR', 1], ['ACC', 0], ['CM', 2],
  ]),
};

export type FunctionSpec =
  | { readonly kind: 'binary'; readonly op: Extract<BinaryOperator, 'min' | 'max' | 'pow'> }
  | { readonly kind: 'unary'; readonly op: UnaryOperator };

export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map<string, FunctionSpec>([
  ['min', { kind: 'binary', op: 'min' }],
  ['max', { kind: 'binary', op: 'max' }],
  ['pow', { kind: 'binary', op: 'pow' }],
  ['abs', { kind: 'unary', op: 'abs' }],
  ['exp', { kind: 'unary', op: 'exp' }],
  ['log', { kind: 'unary', op: 'log' }],
]);

export const BINARY_OF: Readonly<Record<Exclude<InfixSymbol, '|'>, BinaryOperator>> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mult',
  '/': 'div',
  '**': 'pow',
};

function measureForm(measure: MeasureName, arity: 0 | 1 | 2): string {
  switch (arity) {
    case 0:
      return measure;
    case 1:
      return `${measure}_[k]`;
    case 2:
      return `${measure}_[i,j]`;
  }
}

export function knownMeasures(subRegime: SubRegime): string {
  return [...MEASURES[subRegime]].map(([m, arity]) => measureForm(m, arity)).join(', ');
}
