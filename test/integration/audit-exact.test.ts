// The audit's default bound is exact (valid without approximation) and its text says what its numbers
// mean: a group of six rows, all classified correctly, never shows `(ACC | [G]) >= 0.8` holding at
// δ = 0.05 (Clopper–Pearson: ACC ≥ 0.607), while fourteen do (ACC ≥ 0.8074); Student-t, asked for,
// calls itself approximate (and there claims a zero-width interval); g's two ends are labelled as the
// two one-sided bounds they are; a predictions file's verdicts hold only if its model never trained on
// the rows; the data-needed estimate names its 10⁶ limit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';

let dir: string, db: string;

/** A dataset 'g<k>' whose group G has k rows, all labelled 1 and predicted p = 0.9; 20 other rows. */
async function importGroup(k: number): Promise<string> {
  const rows: string[] = [];
  const probs: number[] = [];
  for (let i = 0; i < k; i++) {
    rows.push('0,1,1');
    probs.push(0.9);
  }
  for (let i = 0; i < 20; i++) {
    rows.push(`0,0,${i % 2}`);
    probs.push(i % 2 === 1 ? 0.8 : 0.3);
  }
  writeFileSync(join(dir, `g${k}.csv`), rows.join('\n'));
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ regime: 'supervised_learning', sub_regime: 'classification', all_col_names: ['x', 'G', 'label'], label_col_names: ['label'], sensitive_col_names: ['G'] }));
  const imported = await cli('import', 'seldonian', '--csv', join(dir, `g${k}.csv`), '--metadata', join(dir, 'metadata.json'), '--name', `g${k}`, '--db', db, '--quiet');
  expect(imported.code, imported.stderr).toBe(0);
  const predictions = join(dir, `g${k}-p.csv`);
  writeFileSync(predictions, `p\n${probs.join('\n')}\n`);
  return predictions;
}

let six: string, fourteen: string, five: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-audit-exact-'));
  db = join(dir, 'workspace.db');
  five = await importGroup(5);
  six = await importGroup(6);
  fourteen = await importGroup(14);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GROUP = '(ACC | [G]) >= 0.8';

async function audit(dataset: string, predictions: string, ...extra: string[]) {
  const r = await cli('audit', '--dataset', dataset, '--predictions', predictions, '--by-order', '--constraint', GROUP, '--delta', '0.05', '--db', db, ...extra);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

interface AuditJson { bound: string; guarantee: string; constraints: Array<{ verdict: string; gUpper: number; baseNodes: Array<{ n: number; lower: number; upper: number }> }> }

describe('the default (exact) bound', () => {
  it('six correct rows of a group never show ACC ≥ 0.8 holding; fourteen do', async () => {
    const small = JSON.parse((await audit('g6', six, '--json')).stdout) as AuditJson;
    expect(small.bound).toBe('exact');
    expect(small.constraints[0].baseNodes[0]).toMatchObject({ n: 6 });
    expect(small.constraints[0].baseNodes[0].lower).toBeCloseTo(0.60696, 5);
    expect(small.constraints[0].verdict).not.toBe('holds');
    // Soft estimators (p = 0.9 on each correct row) cannot decide it either.
    expect((JSON.parse((await audit('g6', six, '--json', '--soft')).stdout) as AuditJson).constraints[0].verdict).not.toBe('holds');

    const large = JSON.parse((await audit('g14', fourteen, '--json')).stdout) as AuditJson;
    expect(large.constraints[0].baseNodes[0].lower).toBeCloseTo(0.80736, 5);
    expect(large.constraints[0].verdict).toBe('holds');
  });

  it('Student-t, asked for, says it is approximate: five correct rows give it a zero-width interval', async () => {
    const json = JSON.parse((await audit('g5', five, '--json', '--bound', 'student-t')).stdout) as AuditJson;
    expect(json.constraints[0].baseNodes[0]).toMatchObject({ n: 5, lower: 1 });
    expect(json.constraints[0].verdict).toBe('holds');
    const text = (await audit('g5', five, '--bound', 'student-t')).stdout;
    expect(text).toMatch(/Student-t bounds \(approximate/);
    expect((await audit('g5', five)).stdout).toMatch(/exact bounds \(Clopper–Pearson/);
  });

  it("labels g's two ends as one-sided bounds and qualifies a predictions file's verdict", async () => {
    const r = await audit('g14', fourteen);
    expect(r.stdout).toMatch(/bounds \[[-\d.]+, [-\d.]+\] \(each end holds with confidence 0\.95; together 0\.9\)/);
    expect(r.stdout).toMatch(/HOLDS with confidence 0\.95 — valid only if none of the audited rows trained the model/);
    expect((JSON.parse((await audit('g14', fourteen, '--json')).stdout) as AuditJson).guarantee).toBe('unknown-training-rows');
  });

  it('the data-needed text states the 10⁶ limit the estimate has', async () => {
    // G's soft accuracy is exactly 0.9: g's point estimate sits on the boundary, and no data decides it.
    const r = await cli('audit', '--dataset', 'g6', '--predictions', six, '--by-order', '--soft', '--constraint', '(ACC | [G]) >= 0.9', '--db', db);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/INCONCLUSIVE/);
    expect(r.stdout).toMatch(/no amount of similar data up to 10⁶× the audited rows would decide it/);
    expect(r.stdout).not.toMatch(/1000×/);
  });

  it('refuses an unknown --bound, with or without --retrain-head, and lets --retrain-head take the exact (betting) bound', async () => {
    const bad = await cli('audit', '--dataset', 'g6', '--predictions', six, '--by-order', '--constraint', GROUP, '--bound', 'normal', '--db', db);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--bound must be exact, hoeffding or student-t/);
    const badRetrain = await cli('audit', '--retrain-head', '--model', join(dir, 'none'), '--dataset', 'g6', '--constraint', GROUP, '--bound', 'clopper', '--db', db);
    expect(badRetrain.code).toBe(2);
    expect(badRetrain.stderr).toMatch(/--bound must be student-t, hoeffding or exact, got 'clopper'/);
    // Accepted: the command goes on to the dataset, which holds no images.
    const retrain = await cli('audit', '--retrain-head', '--model', join(dir, 'none'), '--dataset', 'g6', '--constraint', GROUP, '--bound', 'exact', '--db', db);
    expect(retrain.stderr).not.toMatch(/--bound/);
    expect(retrain.stderr).toMatch(/dataset 'g6' holds numeric features/);
  });
});
