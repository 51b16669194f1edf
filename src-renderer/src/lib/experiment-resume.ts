/**
 * Whether the Experiments page offers "Resume" for an experiment, and why it is disabled when it is.
 * Main decides for real (experiments.resume answers `conflict`); this only keeps the page from offering
 * a button that can only fail, and says why in words next to it.
 */
import type { ExperimentSummaryDto } from '../../../src-shared/contract';

export interface ResumeOffer {
  /** "2 of 8 trials stored". */
  readonly stored: string;
  /** Why the button is disabled, or null when it can be pressed. */
  readonly disabledReason: string | null;
}

type Summary = Pick<ExperimentSummaryDto, 'id' | 'status' | 'trialsStored' | 'trialsPlanned' | 'datasetId'>;

/**
 * The offer for one experiment, or null when there is nothing to resume (completed, or every trial
 * stored). A running experiment keeps its (disabled) button so the row does not jump while it runs.
 * `runningHere` is the experiment this page is running, if any: one at a time, as for Start.
 */
export function resumeOffer(e: Summary, runningHere: number | null): ResumeOffer | null {
  if (e.status === 'completed') return null;
  if (e.status !== 'running' && e.trialsStored >= e.trialsPlanned) return null;
  const stored = `${e.trialsStored} of ${e.trialsPlanned} trials stored`;
  let disabledReason: string | null = null;
  if (e.status === 'running') disabledReason = e.id === runningHere ? 'running now: Cancel stops it, and it can be resumed again' : 'running (here or in another Fairbound process): wait for it to end, or cancel it';
  else if (e.datasetId === null) disabledReason = 'its dataset was deleted: it can be shown and exported, not resumed';
  else if (runningHere !== null) disabledReason = `experiment #${runningHere} is running: wait for it to end, or cancel it`;
  return { stored, disabledReason };
}
