/**
 * Audit speed: 70,000 rows with predictions already computed, five constraints (soft, Student-t) plus the
 * per-group table; the target is under 1 s.
 */
import { compileConstraint } from '../src-shared/constraint';
import { auditConstraints } from '../src-main/audit/audit';
import { groupTable } from '../src-main/audit/group-table';
import type { LabelledRows } from '../src-main/engine/data';

const N = 70_000;
let seed = 12345;
const uniform = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
const columns = ['M', 'F', 'dark', 'light'];
const sensitive = new Uint8Array(N * 4);
const labels = new Float64Array(N);
const probs = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const female = uniform() < 0.5, dark = uniform() < 0.5;
  sensitive[i * 4 + (female ? 1 : 0)] = 1;
  sensitive[i * 4 + (dark ? 2 : 3)] = 1;
  labels[i] = uniform() < 0.4 ? 1 : 0;
  probs[i] = Math.min(1, Math.max(0, labels[i] * 0.7 + 0.15 + (uniform() - 0.5) * 0.4));
}
const data: LabelledRows = { nRows: N, labels, nClasses: 2, sensitiveColumns: columns, sensitive };
const sources = [
  'min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.9',
  'abs((PR | [M]) - (PR | [F])) <= 0.05',
  'abs((FNR | [dark]) - (FNR | [light])) + abs((FPR | [dark]) - (FPR | [light])) <= 0.1',
  'abs((FPR | [F,dark]) - (FPR | [M,light])) <= 0.05',
  'ACC >= 0.8',
];
const constraints = sources.map((s) => {
  const r = compileConstraint(s, { columns, subRegime: 'classification', delta: 0.05 });
  if (!r.ok) throw new Error(r.error.message);
  return r.constraint;
});
const started = performance.now();
const results = auditConstraints({ data, probs, nOutputs: 1, rows: { start: 0, end: N }, constraints, mode: { kind: 'soft' }, method: 'student-t' });
const audited = performance.now();
groupTable({ data, probs, nOutputs: 1, rows: { start: 0, end: N }, intersections: [['F', 'dark']], alpha: 0.05, method: 'student-t' });
const finished = performance.now();
console.log(`audit: ${N} rows × ${constraints.length} constraints in ${(audited - started).toFixed(0)} ms (+ group table ${(finished - audited).toFixed(0)} ms); target < 1000 ms`);
console.log(`verdicts: ${results.map((r) => r.verdict).join(', ')}`);
