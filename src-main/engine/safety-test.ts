import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { ConstraintBounder, type BoundMethod, type ConstraintBound } from './constraint-bounds';
import type { LabelledRows, RowRange } from './data';
import { driveAsync, driveSync, type EngineSteps } from './model-calls';
import type { ClassifierModel } from './models/model';

export interface SafetyTestConstraintResult {
  readonly constraint: CompiledConstraint;
  readonly bound: ConstraintBound;
  /** g from the safety rows' point estimates. */
  readonly pointEstimate: number;
  /** Upper bound ≤ 0; a NaN upper bound fails (the engine's `upper > 0` check would pass it). */
  readonly passed: boolean;
}

export interface SafetyTestResult {
  readonly passed: boolean;
  readonly constraints: readonly SafetyTestConstraintResult[];
}

/** Predictions of θ on a row range (row-major, model.nOutputs columns). */
export function predictRange(model: ClassifierModel, theta: Float64Array, range: RowRange): Float64Array {
  return driveSync(model, predictRangeSteps(model, theta, range));
}

/** predictRange through the model's asynchronous predict where it has one (model-calls.ts). */
export function predictRangeAsync(model: ClassifierModel, theta: Float64Array, range: RowRange): Promise<Float64Array> {
  return driveAsync(model, predictRangeSteps(model, theta, range));
}

function* predictRangeSteps(model: ClassifierModel, theta: Float64Array, range: RowRange): EngineSteps<Float64Array> {
  const probs = new Float64Array((range.end - range.start) * model.nOutputs);
  yield { kind: 'predict', theta, range, probs };
  return probs;
}

/** The safety test with the model's synchronous predict (see safetyTestSteps). */
export function runSafetyTest(
  model: ClassifierModel,
  theta: Float64Array,
  constraints: readonly CompiledConstraint[],
  data: LabelledRows,
  safety: RowRange,
  method: BoundMethod = 'student-t',
): SafetyTestResult {
  return driveSync(model, safetyTestSteps(model, theta, constraints, data, safety, method));
}

/** The safety test: every constraint's upper bound (Student-t by default) on the safety rows must be ≤ 0. */
export function* safetyTestSteps(
  model: ClassifierModel,
  theta: Float64Array,
  constraints: readonly CompiledConstraint[],
  data: LabelledRows,
  safety: RowRange,
  method: BoundMethod = 'student-t',
): EngineSteps<SafetyTestResult> {
  const probs = yield* predictRangeSteps(model, theta, safety);
  const results = constraints.map((constraint) => {
    const bounder = new ConstraintBounder(constraint, data, safety, model.nOutputs, method);
    const bound = bounder.bound(probs, { kind: 'safety_test' });
    return { constraint, bound, pointEstimate: bounder.pointValue(probs), passed: bound.upper <= 0 };
  });
  return { passed: results.every((r) => r.passed), constraints: results };
}
