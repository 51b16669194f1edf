/**
 * Types of the TensorFlow.js backend chain, shared by the selection logic (backend-chain.ts,
 * backends.ts) and the real loaders (backend-loaders.ts) without an import cycle between them. The
 * plain-data part (preferences, reports) is in src-shared/domain/backends.ts, re-exported here.
 */

import type { BackendAttempt, BackendPreference, CandidateId, GpuWindowCandidateId, LoadedBackend } from '../../src-shared/domain/backends';

export {
  BACKEND_PREFERENCES,
  type BackendAttempt,
  type BackendName,
  type BackendPreference,
  type BackendReport,
  type CandidateId,
  type ChainCandidateId,
  type GpuWindowCandidateId,
  type LoadedBackend,
} from '../../src-shared/domain/backends';

/** Loads one candidate and makes it tf's active backend, or throws (ideally a BackendUnavailableError). */
export type BackendLoader = () => Promise<LoadedBackend>;

/** The process's own links always; the GPU window's only where the desktop app provides them. */
export type BackendLoaders = Readonly<Record<CandidateId, BackendLoader>> & Readonly<Partial<Record<GpuWindowCandidateId, BackendLoader>>>;

/** A loader's expected failure: the message is the whole human-readable reason. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/** No candidate of the preference loaded; carries each attempt's reason. */
export class BackendSelectionError extends Error {
  override readonly name = 'BackendSelectionError';

  constructor(
    readonly preference: BackendPreference,
    readonly attempts: readonly BackendAttempt[],
  ) {
    super(
      `no ${preference === 'auto' ? 'TensorFlow.js backend' : `'${preference}' backend`} could be loaded: ` +
        attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; '),
    );
  }
}
