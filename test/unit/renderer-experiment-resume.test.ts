/**
 * Invariant under test: the Experiments page offers Resume exactly for experiments with missing trials
 * that are not completed — failed or cancelled ones enabled, unless the page already runs an experiment
 * or the dataset is gone (disabled with the reason in words); a running one keeps a disabled button — and
 * always says how many trials are stored.
 */
import { describe, expect, it } from 'vitest';
import { resumeOffer } from '../../src-renderer/src/lib/experiment-resume';

const e = (over: Partial<Parameters<typeof resumeOffer>[0]> = {}): Parameters<typeof resumeOffer>[0] => ({
  id: 3,
  status: 'cancelled',
  trialsStored: 2,
  trialsPlanned: 8,
  datasetId: 1,
  ...over,
});

describe('resumeOffer', () => {
  it('offers failed and cancelled experiments with missing trials', () => {
    expect(resumeOffer(e(), null)).toEqual({ stored: '2 of 8 trials stored', disabledReason: null });
    expect(resumeOffer(e({ status: 'failed', trialsStored: 0 }), null)).toEqual({ stored: '0 of 8 trials stored', disabledReason: null });
  });

  it('offers nothing when nothing is missing or the experiment is completed', () => {
    expect(resumeOffer(e({ status: 'completed', trialsStored: 8 }), null)).toBeNull();
    expect(resumeOffer(e({ status: 'completed', trialsStored: 5 }), null)).toBeNull();
    expect(resumeOffer(e({ status: 'cancelled', trialsStored: 8 }), null)).toBeNull();
  });

  it('disables it with the reason while something runs or when the dataset is gone', () => {
    expect(resumeOffer(e({ status: 'running' }), 3)?.disabledReason).toMatch(/^running now: Cancel stops it/);
    expect(resumeOffer(e({ status: 'running', trialsStored: 8 }), null)?.disabledReason).toMatch(/^running \(here or in another Fairbound process\)/);
    expect(resumeOffer(e(), 5)?.disabledReason).toBe('experiment #5 is running: wait for it to end, or cancel it');
    expect(resumeOffer(e({ datasetId: null }), null)?.disabledReason).toMatch(/dataset was deleted/);
  });
});
