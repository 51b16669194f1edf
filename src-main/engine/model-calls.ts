/**
 * The engine's loops (candidate selection, the safety test) are written once, as generators that yield
 * each model evaluation they need; a driver carries it out and resumes the loop. driveSync calls the
 * model's synchronous predict/vjp (every CPU model: the golden path, its arithmetic untouched);
 * driveAsync awaits predictAsync/vjpAsync where the model has them (a TF.js model on webgpu, whose
 * tensors Node can only read asynchronously) and between awaits lets the process see a cancel.
 * One loop for both, rather than the engine in a second, asynchronous copy or a GPU worker thread the
 * synchronous loop would block on: the loop's numbers cannot drift apart between the two ways.
 */
import type { RowRange } from './data';
import type { ClassifierModel } from './models/model';

export type ModelCall =
  | { readonly kind: 'predict'; readonly theta: Float64Array; readonly range: RowRange; readonly probs: Float64Array }
  | {
      readonly kind: 'vjp';
      readonly theta: Float64Array;
      readonly range: RowRange;
      readonly probs: Float64Array;
      readonly dProbs: Float64Array;
      readonly gradient: Float64Array;
    };

/** A loop of the engine: yields model calls, returns its result. */
export type EngineSteps<T> = Generator<ModelCall, T, void>;

export function driveSync<T>(model: ClassifierModel, steps: EngineSteps<T>): T {
  for (let next = steps.next(); ; next = steps.next()) {
    if (next.done) return next.value;
    const call = next.value;
    if (call.kind === 'predict') model.predict(call.theta, call.range, call.probs);
    else model.vjp(call.theta, call.range, call.probs, call.dProbs, call.gradient);
  }
}

export async function driveAsync<T>(model: ClassifierModel, steps: EngineSteps<T>): Promise<T> {
  for (let next = steps.next(); ; next = steps.next()) {
    if (next.done) return next.value;
    const call = next.value;
    if (call.kind === 'predict') {
      if (model.predictAsync) await model.predictAsync(call.theta, call.range, call.probs);
      else model.predict(call.theta, call.range, call.probs);
    } else if (model.vjpAsync) await model.vjpAsync(call.theta, call.range, call.probs, call.dProbs, call.gradient);
    else model.vjp(call.theta, call.range, call.probs, call.dProbs, call.gradient);
  }
}
