/** How a job is named, linked and ended in words in the activity strip (pure, unit-tested). */
import type { JobState } from './job-state';

/** "Run #12", "Experiment #3", "Import", "Audit". */
export function jobTitle(job: Pick<JobState, 'kind' | 'subjectId'>): string {
  const noun = { run: 'Run', experiment: 'Experiment', import: 'Import', audit: 'Audit' }[job.kind];
  return job.subjectId === null ? noun : `${noun} #${job.subjectId}`;
}

/** The page that shows the job's subject. */
export function jobLink(job: Pick<JobState, 'kind' | 'subjectId'>): string {
  switch (job.kind) {
    case 'run':
      return job.subjectId === null ? '#/runs' : `#/runs/${job.subjectId}`;
    case 'experiment':
      return '#/experiments';
    case 'import':
      return '#/datasets';
    case 'audit':
      return '#/audit';
  }
}

const RUN_ENDS = { passed: 'passed', nsf: 'no solution found', failed: 'failed', cancelled: 'cancelled' } as const;

/** What a job came to, in a few words; '' while it runs. */
export function jobEnd(job: JobState): string {
  switch (job.status) {
    case 'running':
      return '';
    case 'cancelled':
      return `cancelled${job.reason && job.reason !== 'cancelled' ? ` (${job.reason})` : ''}`;
    case 'failed':
      return `failed: ${job.error?.message ?? 'unknown error'}`;
    case 'done': {
      const r = job.result;
      if (!r) return 'ended';
      switch (r.kind) {
        case 'run':
          return `${RUN_ENDS[r.status]}${r.error ? `: ${r.error}` : ''}`;
        case 'experiment':
          return `${r.status}: ${r.trialsRun} trial${r.trialsRun === 1 ? '' : 's'} run in ${Math.round(r.seconds)} s`;
        case 'import':
          return `imported '${r.datasetName}' (${r.nRows} rows)`;
        case 'audit':
          return 'audit done';
      }
    }
  }
}

/** The colour of a job's end: ok (done, a run passed), bad (failed, no solution found), warn (cancelled). */
export function jobTone(job: JobState): 'ok' | 'bad' | 'warn' | 'busy' {
  if (job.status === 'running') return 'busy';
  if (job.status === 'failed') return 'bad';
  if (job.status === 'cancelled') return 'warn';
  const r = job.result;
  if (r?.kind === 'run') return r.status === 'passed' ? 'ok' : r.status === 'cancelled' ? 'warn' : 'bad';
  if (r?.kind === 'experiment') return r.status === 'completed' ? 'ok' : r.status === 'cancelled' ? 'warn' : 'bad';
  return 'ok';
}
