/**
 * Invariant under test: the renderer's run logic — run events of one frame fold into one new live state
 * (series replaced, not mutated; other runs' events ignored; a finished run stays finished), the
 * Lagrangian is f + Σ λ ĝ, and a finished run's verdict reads as the guarantee (PASSED) or as the reason
 * (NO SOLUTION FOUND: which bound exceeded 0 and by how much, or that a group was too small).
 */
import { describe, expect, it } from 'vitest';
import type { RunDetail, RunEventDto } from '../../src-shared/contract';
import { applyRunEvents, etaText, lagrangian, newLiveRun } from '../../src-renderer/src/lib/run-live';
import { runVerdict } from '../../src-renderer/src/lib/run-verdict';

const ev = (runId: number, event: RunEventDto) => ({ runId, event });

describe('live run state', () => {
  it('folds a batch of events into a new state and ignores other runs', () => {
    const start = newLiveRun('job', 7);
    const next = applyRunEvents(start, [
      ev(7, { type: 'phase', runId: 7, phase: 'training', backend: 'wasm' }),
      ev(7, { type: 'batch', runId: 7, epoch: 0, epochs: 2, batch: 1, batchesPerEpoch: 4, loss: 0.6, accuracy: 0.7, imagesPerSecond: 100, fraction: 0.25, etaSeconds: 3 }),
      ev(8, { type: 'batch', runId: 8, epoch: 1, epochs: 2, batch: 0, batchesPerEpoch: 4, loss: 9, accuracy: 0, imagesPerSecond: 1, fraction: 0.5, etaSeconds: 1 }),
      ev(7, { type: 'iteration', runId: 7, iteration: 0, total: 10, f: 1, g: [0.5, -1], lambda: [2, 1], etaSeconds: 2 }),
    ]);
    expect(start.batches).toEqual([]);
    expect(next).toMatchObject({ status: 'running', phase: 'training', backend: 'wasm', iterationTotal: 10, etaSeconds: 2 });
    expect(next.batches).toEqual([{ x: 0.5, loss: 0.6, accuracy: 0.7 }]);
    expect(next.iterations[0].lagrangian).toBe(1 + 2 * 0.5 - 1);
    expect(applyRunEvents(next, [ev(8, { type: 'status', runId: 8, status: 'queued' })])).toBe(next);
  });

  it('keeps a finished run finished', () => {
    const done = applyRunEvents(newLiveRun('j', 1), [ev(1, { type: 'finished', runId: 1, status: 'cancelled', error: 'cancelled by the user' })]);
    const late = applyRunEvents(done, [ev(1, { type: 'status', runId: 1, status: 'running' })]);
    expect(late).toMatchObject({ finished: true, status: 'cancelled', error: 'cancelled by the user' });
  });

  it('computes L and ETA text', () => {
    expect(lagrangian(2, [1, -2], [0.5])).toBe(2.5);
    expect(etaText(12.4)).toBe('about 12 s left');
    expect(etaText(180)).toBe('about 3 min left');
    expect(etaText(null)).toBe('');
  });
});

function detail(overrides: Partial<RunDetail>): RunDetail {
  return {
    run: { id: 3, name: null, notes: null, datasetId: 1, datasetName: 'faces', pipeline: 'head', architecture: 'tutorial-j-cnn', constraints: [], seed: 0, backendPreference: 'auto', backend: 'wasm', status: 'passed', phase: null, error: null, nRows: 10, nCandidate: 5, nSafety: 5, createdAt: '', startedAt: null, finishedAt: null },
    settings: {},
    bound: 'student-t',
    seeds: {},
    backend: null,
    timings: {},
    verdict: 'passed',
    outcome: { kind: 'passed', reason: null, message: null },
    candidateSelection: null,
    constraints: [],
    groupAccuracy: null,
    trainedCnnGroupAccuracy: null,
    bodyTraining: null,
    ...overrides,
  };
}

const node = (name: string, nSamples: number) => ({ name, lower: 0, upper: 1, lowerNeeded: true, upperNeeded: true, deltaLower: 0.025, deltaUpper: 0.025, nSamples, mean: 0.5, std: 0.1 });

describe('run verdict in words', () => {
  it('states the guarantee when the run passed', () => {
    const v = runVerdict(detail({ constraints: [{ source: 'ACC | [M] >= 0.5', parsed: 'x', delta: 0.05, position: 0, upperBound: -0.1, pointEstimate: -0.2, passed: true, nodes: [] }] }));
    expect(v.headline).toBe('PASSED');
    expect(v.lines[0]).toContain('ACC | [M] >= 0.5: the chance that this procedure returns');
    expect(v.lines[0]).toContain('a model violating this constraint is at most δ = 0.05 — approximately, under the Student-t approximation');
  });

  it('names the constraint whose bound exceeded 0 and by how much, or the group too small', () => {
    const run = { ...detail({}).run, status: 'nsf' as const };
    const over = runVerdict(detail({ run, verdict: 'nsf', constraints: [{ source: 'g1', parsed: 'x', delta: 0.05, position: 0, upperBound: 0.0321, pointEstimate: 0, passed: false, nodes: [node('ACC | [M]', 30)] }] }));
    expect(over.headline).toBe('NO SOLUTION FOUND');
    expect(over.lines[0]).toBe("g1: the safety test's upper bound of g is 0.0321, exceeding 0 by 0.0321.");
    const small = runVerdict(detail({ run, verdict: 'nsf', constraints: [{ source: 'g2', parsed: 'x', delta: 0.05, position: 0, upperBound: Infinity, pointEstimate: 0, passed: false, nodes: [node('ACC | [F]', 1)] }] }));
    expect(small.lines[0]).toContain('ACC | [F] has 1 safety row');
    expect(small.lines[0]).toContain('too small');
  });
});
