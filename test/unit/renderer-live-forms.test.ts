/**
 * Invariant under test: the renderer's live state and forms, as pure logic — a job's state follows
 * jobs.list, job events and run events, and an ended job is never reopened (by a late event or a list
 * taken before its end); a job running when a list was asked and missing from its answer has ended; the
 * activity strip names and ends jobs in words; the ĝ panels shade g > 0 only, up to the axis top; drafts
 * restore only keys of the right kind; a refused request names each field as the form labels it; the
 * builder's click path writes a constraint that compiles; a misspelt attribute gets "did you mean".
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { compileConstraint } from '../../src-shared/constraint';
import { nearestName } from '../../src-shared/constraint/suggest';
import { FairboundError, routes } from '../../src-shared/contract';
import { badRequestData } from '../../src-shared/contract/issues';
import { runEventProgress } from '../../src-shared/contract/jobs';
import { conditional, fn, insertSnippet, OPERATORS, type Snippet } from '../../src-renderer/src/lib/constraint-blocks';
import { fieldProblems, labelFor } from '../../src-renderer/src/lib/field-labels';
import { formKey, mergeDraft, readDraft } from '../../src-renderer/src/lib/form-memory';
import { bandText, gAxis, niceCeil } from '../../src-renderer/src/lib/g-axis';
import { jobEnd, jobLink, jobTitle, jobTone } from '../../src-renderer/src/lib/job-labels';
import { endedUnheard, nextJobState, withListed, withRunEvent } from '../../src-renderer/src/lib/job-state';

const op = (name: string): Snippet => OPERATORS.find((o) => o.name === name)!.snippet;

describe('job state from the server', () => {
  const listed = { jobId: 'r1', kind: 'run' as const, subjectId: 7, state: 'running' as const, progress: { fraction: 0.4, phase: 'training', message: 'body training: epoch 1 of 2, batch 3 of 5' }, startedAt: '2026-01-01T00:00:00.000Z' };

  it('takes a listed job with its subject and latest progress, then moves it on with run events to its end', () => {
    let job = withListed(undefined, listed);
    expect(job).toMatchObject({ jobId: 'r1', kind: 'run', subjectId: 7, status: 'running', fraction: 0.4, queued: false });
    job = withRunEvent(job, { jobId: 'r1', runId: 7, event: { type: 'iteration', runId: 7, iteration: 9, total: 20, f: 0.5, g: [-0.1], lambda: [0], etaSeconds: 3 } });
    expect(job).toMatchObject({ fraction: 0.5, phase: 'candidate_selection', message: 'QSA iteration 10 of 20', etaSeconds: 3 });
    // A later list answer does not put back its older progress.
    expect(withListed(job, listed).fraction).toBe(0.5);
    job = nextJobState(job, { event: 'job.done', payload: { jobId: 'r1', kind: 'run', result: { kind: 'run', runId: 7, status: 'passed', error: null } } });
    expect(job).toMatchObject({ status: 'done', fraction: 1 });
    // A list taken before the end, and a late run event, leave it ended.
    expect(withListed(job, listed)).toBe(job);
    expect(withRunEvent(job, { jobId: 'r1', runId: 7, event: { type: 'latents', runId: 7, done: 1, total: 2 } })).toBe(job);
    expect(jobEnd(job)).toBe('passed');
    expect(jobTone(job)).toBe('ok');
  });

  it('marks queued and cancelling jobs, and ends a job the list no longer has', () => {
    expect(withListed(undefined, { ...listed, state: 'queued', progress: null })).toMatchObject({ queued: true, fraction: null });
    expect(withListed(undefined, { ...listed, state: 'cancelling' })).toMatchObject({ cancelling: true });
    const ended = endedUnheard(withListed(undefined, listed));
    expect(ended).toMatchObject({ status: 'done', message: 'ended' });
    expect(jobEnd(ended)).toBe('ended');
  });

  it('learns a run job from its first run event (started in another window)', () => {
    expect(withRunEvent(undefined, { jobId: 'x', runId: 3, event: { type: 'phase', runId: 3, phase: 'training', backend: 'wasm' } })).toMatchObject({
      jobId: 'x', kind: 'run', subjectId: 3, status: 'running', phase: 'training', message: 'training on wasm',
    });
  });

  it('counts epochs and batches from 1 in a run progress message', () => {
    expect(runEventProgress({ type: 'batch', runId: 1, epoch: 0, epochs: 2, batch: 4, batchesPerEpoch: 5, loss: 1, accuracy: 0.5, imagesPerSecond: 10, fraction: 0.5, etaSeconds: 2 })).toEqual({
      fraction: 0.5, phase: 'training', message: 'body training: epoch 1 of 2, batch 5 of 5', etaSeconds: 2,
    });
  });

  it('names, links and ends each kind of job in words', () => {
    const base = withListed(undefined, listed);
    expect([jobTitle(base), jobLink(base)]).toEqual(['Run #7', '#/runs/7']);
    const experiment = nextJobState(undefined, { event: 'job.done', payload: { jobId: 'e', kind: 'experiment', result: { kind: 'experiment', experimentId: 2, status: 'completed', trialsRun: 6, seconds: 4.2 } } });
    expect([jobTitle(experiment), jobEnd(experiment), jobTone(experiment)]).toEqual(['Experiment #2', 'completed: 6 trials run in 4 s', 'ok']);
    const nsf = nextJobState(base, { event: 'job.done', payload: { jobId: 'r1', kind: 'run', result: { kind: 'run', runId: 7, status: 'nsf', error: null } } });
    expect([jobEnd(nsf), jobTone(nsf)]).toEqual(['no solution found', 'bad']);
    const cancelled = nextJobState(undefined, { event: 'job.cancelled', payload: { jobId: 'i', kind: 'import', reason: 'cancelled by the user' } });
    expect([jobTitle(cancelled), jobEnd(cancelled), jobTone(cancelled)]).toEqual(['Import', 'cancelled (cancelled by the user)', 'warn']);
  });
});

describe('the ĝ panel', () => {
  it('shades nothing when every ĝ is at most 0, and the axis ends at 0', () => {
    const axis = gAxis([-0.3, -0.01, null, Number.NaN, -Infinity]);
    expect(axis).toEqual({ max: 0, infeasible: null });
    expect(bandText(axis)).toBe('none');
  });

  it('shades from 0 to the top of the axis, which is above the highest ĝ', () => {
    const axis = gAxis([-0.2, 0.37, 0.1]);
    expect(axis.max).toBe(0.5);
    expect(axis.infeasible).toEqual([0, 0.5]);
    expect([niceCeil(0.37), niceCeil(2.1), niceCeil(1), niceCeil(0.0031)]).toEqual([0.5, 2.5, 1, 0.005]);
  });
});

describe('form drafts', () => {
  const defaults = { datasetId: null as number | null, epochs: 1, name: '', models: ['a'] as string[] };

  it('keys a draft by form and workspace', () => {
    expect(formKey('new-run', '/w/a.db')).not.toBe(formKey('new-run', '/w/b.db'));
  });

  it('restores only the keys the form has, of the kind its default has', () => {
    expect(mergeDraft(defaults, { datasetId: 3, epochs: 'x', name: 'mine', models: ['b', 'c'], extra: 1 })).toEqual({ datasetId: 3, epochs: 1, name: 'mine', models: ['b', 'c'] });
    expect(mergeDraft(defaults, { epochs: null })).toEqual(defaults);
    expect(mergeDraft(defaults, 'nonsense')).toEqual(defaults);
    expect(readDraft({ getItem: () => '{not json' }, 'k')).toBeNull();
    expect(readDraft(null, 'k')).toBeNull();
  });
});

describe('validation errors name the field as the form labels it', () => {
  it('turns a refused request into each field and its problem in words', () => {
    const request = { dataset: 1, constraints: [{ source: 'ACC >= 0.5', delta: 2 }], pipeline: 'head', resize: 2, epochs: '' };
    const parsed = routes['runs.start'].input.safeParse(request);
    expect(parsed.success).toBe(false);
    const data = badRequestData('runs.start', (parsed as { error: z.ZodError }).error, request);
    expect(data.code).toBe('bad_request');
    expect(data.message).not.toMatch(/Too small|expected number to be/);
    const labels = { resize: 'Resize to', epochs: 'Body epochs', architecture: 'Model', 'constraints.#.delta': 'δ of constraint {n}' };
    expect(fieldProblems(new FairboundError(data), labels).sort()).toEqual(['Body epochs: must be a number', 'Model: is required', 'Resize to: must be at least 4', 'δ of constraint 1: must be less than 1'].sort());
  });

  it('finds a label by exact path, by index pattern, or by the nearest labelled parent', () => {
    const labels = { 'constraints.2.delta': 'δ for parity', 'constraints.#.delta': 'δ of constraint {n}', models: 'Models' };
    expect(labelFor('constraints.2.delta', labels)).toBe('δ for parity');
    expect(labelFor('constraints.0.delta', labels)).toBe('δ of constraint 1');
    expect(labelFor('models.3', labels)).toBe('Models');
    expect(labelFor('unknown', labels)).toBe('unknown');
  });
});

describe("the builder's click path", () => {
  /** Clicks blocks one after the other, the cursor where each click leaves it. */
  function click(snippets: readonly Snippet[], start = ''): string {
    let text = start;
    let caret = text.length;
    for (const s of snippets) {
      const edit = insertSnippet(text, caret, caret, s);
      text = edit.text;
      caret = edit.selectionStart;
    }
    return text;
  }

  it('writes min(a, b) >= 0.8 from min( ), a, comma, b, ≥, 0.8', () => {
    const text = click([fn('min'), conditional('ACC', ['dark']), op('divided by'), conditional('ACC', ['light']), op('comma'), conditional('ACC', ['light']), op('divided by'), conditional('ACC', ['dark']), op('at least'), { text: '0.8' }]);
    expect(text).toBe('min((ACC | [dark]) / (ACC | [light]), (ACC | [light]) / (ACC | [dark])) >= 0.8');
    expect(compileConstraint(text, { columns: ['dark', 'light'], subRegime: 'classification', delta: 0.05 }).ok).toBe(true);
  });

  it('puts a comma in the innermost min( ) and an inequality outside every bracket', () => {
    // The cursor inside a bracket within min( ): the comma goes after that bracket closes.
    expect(insertSnippet('min((PR | [a])', 13, 13, op('comma')).text).toBe('min((PR | [a]), ');
    expect(insertSnippet('abs(PR - NR)', 11, 11, op('at most')).text).toBe('abs(PR - NR) <= ');
    // Outside any function a comma goes where the cursor is (the parser then says what is wrong).
    expect(insertSnippet('PR', 2, 2, op('comma')).text).toBe('PR, ');
  });

  it('wraps a selection in min( ), leaving the cursor for the second argument', () => {
    expect(insertSnippet('PR', 0, 2, fn('min'))).toEqual({ text: 'min(PR)', selectionStart: 6, selectionEnd: 6 });
    expect(insertSnippet('PR', 0, 2, fn('abs'))).toEqual({ text: 'abs(PR)', selectionStart: 7, selectionEnd: 7 });
  });
});

describe('did you mean', () => {
  it("suggests the nearest attribute or measure, and nothing for a one-letter name", () => {
    const error = compileConstraint('(ACC | [drak]) >= 0.5', { columns: ['dark', 'light'], subRegime: 'classification', delta: 0.05 });
    expect(!error.ok && error.error.message).toBe("unknown attribute 'drak' at column 9 (known: dark, light); did you mean 'dark'?");
    const measure = compileConstraint('ACCC >= 0.5', { columns: [], subRegime: 'classification', delta: 0.05 });
    expect(!measure.ok && measure.error.message).toContain("did you mean 'ACC'?");
    expect(nearestName('X', ['M', 'F'])).toBeNull();
    expect(nearestName('Dark', ['dark'])).toBe('dark');
    expect(nearestName('zebra', ['dark', 'light'])).toBeNull();
  });
});
