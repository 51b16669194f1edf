// The audit report says what its verdicts can claim: rows that trained the model give no guarantee,
// a run's own safety rows repeat its safety test; g's two ends are labelled as one-sided bounds; the
// bound is named (Student-t as approximate).
import { describe, expect, it } from 'vitest';
import type { AuditResult } from '../../src-shared/contract/schemas';
import { auditReportInputFromResult, buildAuditReportHtml } from '../../src-main/report/audit-report';

function result(guarantee: AuditResult['guarantee'], bound: AuditResult['bound']): AuditResult {
  return {
    dataset: { id: 1, name: 'd' },
    rows: { which: 'all', start: 0, end: 10 },
    source: "run 3's seldonian model",
    sourceKind: 'run',
    mode: { kind: 'hard', threshold: 0.5 },
    bound,
    guarantee,
    constraints: [
      {
        source: 'ACC >= 0.5', parsed: '0.5-(ACC)', delta: 0.05, verdict: 'holds', gPoint: -0.4, gLower: -0.5, gUpper: -0.1, dataNeeded: null,
        baseNodes: [{ name: 'ACC', n: 10, mean: 0.9, std: 0.3, lower: 0.6, upper: Infinity, lowerNeeded: true, upperNeeded: false, deltaLower: 0.05, deltaUpper: null }],
        lowerBoundBaseNodes: [], warnings: [],
      },
    ],
    groups: [{ group: 'all', columns: [], n: 10, rates: { ACC: { n: 10, mean: 0.9, lower: 0.6, upper: 1 } } }],
    groupConfidence: 0.95,
  };
}

const html = (guarantee: AuditResult['guarantee'], bound: AuditResult['bound'] = 'exact') => buildAuditReportHtml(auditReportInputFromResult(result(guarantee, bound), null, 'rows 0–9 (all)'));

describe('the audit report', () => {
  it('says a verdict on rows that trained the model is not a guarantee, and claims no confidence', () => {
    const text = html('none-trained-rows');
    expect(text).toContain('HOLDS on these rows — NOT a guarantee: the audited rows include rows that trained the model');
    expect(text).not.toContain('HOLDS with confidence');
    expect(text).not.toContain('with confidence at least');
  });
  it("says a verdict on the run's own safety rows repeats its safety test", () => {
    expect(html('repeats-safety-test')).toContain("HOLDS with confidence 0.95 — this repeats the run&#39;s safety test on its own safety rows: not an independent confirmation");
    expect(html('independent')).toContain('HOLDS with confidence 0.95</div>');
  });
  it("labels g's two ends and names the bound, Student-t as approximate", () => {
    expect(html('independent')).toContain('[-0.5, -0.1] (each end holds with confidence 0.95; together 0.9)');
    expect(html('independent')).toContain('exact: exact bounds (Clopper–Pearson, binomial)');
    expect(html('independent', 'student-t')).toContain('Student-t bounds (approximate');
  });
});
