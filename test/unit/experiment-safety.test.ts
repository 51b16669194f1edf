/**
 * Invariant under test: an experiment's safety conclusion comes from exact (Clopper–Pearson) bounds on
 * the violation rate over trials, never from the bare mean: "exceeds δ" only when the exact lower bound
 * is above δ, "within δ" only when the exact upper bound is at most δ, else "too few trials to tell" —
 * so 3 trials without a violation say nothing about δ = 0.05, and zero violations need 59 trials at 95%.
 * The report, `experiment show` and the page read the same function.
 */
import { describe, expect, it } from 'vitest';
import { clopperPearsonBounds, compareRate } from '../../src-shared/bounds/binomial-interval';
import { conclusionLabel, experimentSafety, safetyHeadline, trialsNeededWithoutViolation, violationConclusion } from '../../src-shared/domain/experiment-safety';
import { experimentResults } from '../../src-main/experiments/results';
import type { TrialResult } from '../../src-main/experiments/types';
import { experimentReportHtml } from '../../src-main/report/report';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { insertExperiment, insertTrial } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';
import { QSA_FEATURES_SETTINGS } from '../support/experiment-settings';

const tempDir = useTempDir();

describe('exact binomial bounds', () => {
  it('are the beta quantiles: Beta(6, 1) at 0.05 for 6 of 6, 1 − 0.05^(1/n) for 0 of n', () => {
    const all = clopperPearsonBounds(6, 6);
    expect(all.lower).toBeCloseTo(0.606962, 5);
    expect(all.upper).toBe(1);
    expect(all.rate).toBe(1);
    const none = clopperPearsonBounds(0, 10);
    expect(none.lower).toBe(0);
    expect(none.upper).toBeCloseTo(1 - 0.05 ** (1 / 10), 12);
    expect(none.confidence).toBe(0.95);
  });

  it('at 97.5% per side give the two-sided 95% Clopper–Pearson interval (3 of 10: [0.0667, 0.6525])', () => {
    const b = clopperPearsonBounds(3, 10, 0.975);
    expect(b.lower).toBeCloseTo(0.066739, 5);
    expect(b.upper).toBeCloseTo(0.652453, 5);
  });

  it('know nothing without trials, and refuse impossible counts', () => {
    expect(clopperPearsonBounds(0, 0)).toEqual({ rate: Number.NaN, lower: 0, upper: 1, confidence: 0.95 });
    expect(() => clopperPearsonBounds(4, 3)).toThrow(RangeError);
    expect(() => clopperPearsonBounds(0.5, 3)).toThrow(RangeError);
    expect(() => clopperPearsonBounds(1, 3, 1)).toThrow(RangeError);
  });

  it('compare with a threshold: exceeds, within, or too few', () => {
    expect(compareRate({ lower: 0.2, upper: 0.9 }, 0.1)).toBe('exceeds');
    expect(compareRate({ lower: 0, upper: 0.1 }, 0.1)).toBe('within');
    expect(compareRate({ lower: 0.1, upper: 0.3 }, 0.1)).toBe('too-few');
  });
});

describe('the violation conclusion', () => {
  it('needs 59 trials without a violation at 95% for δ = 0.05: 58 are too few, 59 are within δ', () => {
    expect(violationConclusion(0, 58, 0.05).conclusion).toBe('too-few');
    expect(violationConclusion(0, 59, 0.05).conclusion).toBe('within');
    expect(violationConclusion(0, 58, 0.05).bounds.upper).toBeGreaterThan(0.05);
    expect(violationConclusion(0, 59, 0.05).bounds.upper).toBeLessThanOrEqual(0.05);
    expect(trialsNeededWithoutViolation(0.05)).toBe(59);
    expect(trialsNeededWithoutViolation(0.1)).toBe(29);
  });

  it('says too few for 2 or 3 clean trials, and exceeds only when the lower bound is above δ', () => {
    expect(violationConclusion(0, 2, 0.05).conclusion).toBe('too-few');
    expect(violationConclusion(0, 3, 0.05).conclusion).toBe('too-few');
    // 1 of 3 is a mean of 0.33 > δ = 0.1, but its exact lower bound (0.017) is not above δ.
    expect(violationConclusion(1, 3, 0.1).conclusion).toBe('too-few');
    expect(violationConclusion(2, 3, 0.1).conclusion).toBe('exceeds');
    expect(conclusionLabel('too-few')).toBe('too few trials to tell');
    expect(conclusionLabel('within')).toBe('within δ');
    expect(conclusionLabel('exceeds')).toBe('exceeds δ');
  });

  it('combines fractions and models: within only when every one is, exceeds when any is; baselines are not judged', () => {
    const model = (name: string, kind: string, perFraction: [number, number][]) => ({
      name,
      kind,
      fractions: perFraction.map(([violations, trials], i) => ({ fraction: (i + 1) / perFraction.length, trials, violations: [violations] })),
    });
    const constraints = [{ delta: 0.05 }];
    expect(experimentSafety({ constraints, models: [model('qsa', 'seldonian', [[0, 59], [0, 100]])] }).conclusion).toBe('within');
    expect(experimentSafety({ constraints, models: [model('qsa', 'seldonian', [[0, 59], [0, 3]])] }).conclusion).toBe('too-few');
    expect(experimentSafety({ constraints, models: [model('qsa', 'seldonian', [[3, 3], [0, 3]])] }).conclusion).toBe('exceeds');
    const onlyBaselines = experimentSafety({ constraints, models: [model('random', 'baseline', [[3, 3]])] });
    expect(onlyBaselines).toEqual({ confidence: 0.95, conclusion: 'none', rows: [] });
    const safety = experimentSafety({ constraints, models: [model('qsa', 'seldonian', [[0, 3]]), model('random', 'baseline', [[3, 3]])] });
    expect(safety.rows.map((r) => r.model)).toEqual(['qsa']);
    expect(safetyHeadline(safety)).toMatch(/^Too few trials to tell.*95%.*each fraction needs at least 59 trials for δ = 0\.05\.$/);
  });
});

function storedExperiment(db: WritableDB, nTrials: number, g: (trialIndex: number) => number): number {
  db.exec(`INSERT INTO dataset (id, name, format, source_json, created_at, n_rows, label_column, n_classes, label_mapping_json)
           VALUES (1, 'd', 'seldonian', '{}', 'now', 4, 'y', 2, '{}')`);
  const id = insertExperiment(
    db,
    {
      name: 'e', datasetId: 1, datasetName: 'd', nRows: 4, seed: 7,
      constraints: [{ source: 'ACC >= 0.5', parsed: '0.5-(ACC)', delta: 0.05 }],
      settings: { ...QSA_FEATURES_SETTINGS, fractions: [1], nTrials },
    },
    Array.from({ length: nTrials }, (_, trialIndex) => ({ trialIndex, seed: trialIndex, indices: Int32Array.of(0, 1, 2, 3) })),
  );
  for (let trialIndex = 0; trialIndex < nTrials; trialIndex++) {
    const trial: TrialResult = {
      model: 'qsa-features', fractionIndex: 0, fraction: 1, trialIndex, nRows: 4, passed: true, performance: 0.75,
      g: [g(trialIndex)], theta: null, nsfReason: null, durationSeconds: 0.1,
    };
    insertTrial(db, id, trial);
  }
  db.exec(`UPDATE experiment SET status = 'completed', finished_at = 'now'`);
  return id;
}

describe('the experiment report', () => {
  it('does not call 3 trials without a violation safe: too few trials to tell, with the exact bounds and the confidence', () => {
    const db = openWorkspace(`${tempDir()}/three.db`);
    try {
      const id = storedExperiment(db, 3, () => -0.1);
      const html = experimentReportHtml(db, id);
      expect(html).not.toMatch(/SAFE — P\(violation\) ≤ δ/);
      expect(html).toContain('TOO FEW TRIALS TO TELL');
      expect(html).toContain('95%');
      expect(html).toMatch(/<tr><td>qsa-features<\/td><td>#1<\/td><td>0\.05<\/td><td>1<\/td><td>0 \/ 3 = 0<\/td><td>0<\/td><td>0\.63\d*<\/td><td><span class="badge none">too few trials to tell<\/span><\/td><\/tr>/);
      expect(experimentResults(db, id)!.safety.conclusion).toBe('too-few');
    } finally {
      db.close();
    }
  });

  it('says within δ for 59 clean trials, exceeds δ when most trials violate', () => {
    const db = openWorkspace(`${tempDir()}/fifty-nine.db`);
    try {
      expect(experimentReportHtml(db, storedExperiment(db, 59, () => -0.1))).toContain('WITHIN δ');
    } finally {
      db.close();
    }
    const bad = openWorkspace(`${tempDir()}/violated.db`);
    try {
      expect(experimentReportHtml(bad, storedExperiment(bad, 3, (i) => (i < 2 ? 0.2 : -0.1)))).toContain('EXCEEDS δ');
    } finally {
      bad.close();
    }
  });
});
