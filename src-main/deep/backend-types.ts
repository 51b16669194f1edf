/**
 * Types of the TensorFlow.js backend chain, shared by the selection logic (backend-chain.ts,
 * backends.ts) and the real loaders (backend-loaders.ts, backend-webgpu.ts) without an import cycle
 * between them. The plain-data part (preferences, reports) is in src-shared/domain/backends.ts,
 * re-exported here.
 */

import type { BackendAttempt, BackendPreference, CandidateId, LoadedBackend } from '../../src-shared/domain/backends';

export {
  BACKEND_PREFERENCES,
  type BackendAttempt,
  type BackendName,
  type BackendPreference,
  type BackendReport,
  type CandidateId,
  type ChainLinkId,
  type GpuAdapterReport,
  type LoadedBackend,
} from '../../src-shared/domain/backends';

/** What the caller of selectBackend asks of the backend, as each loader sees it. */
export interface LoadRequest {
  /** What the user asked for: `auto` skips software GPU adapters, an explicit `webgpu` takes them. */
  readonly preference: BackendPreference;
  /**
   * The work reads tensors synchronously (dataSync: TF.js model audits and a pretrained TF.js body
   * cut for its latents). webgpu in Node cannot (TF.js reads a GPU buffer synchronously only through an
   * OffscreenCanvas), so its loader refuses such work.
   */
  readonly syncReads: boolean;
}

/** Loads one candidate and makes it tf's active backend, or throws (ideally a BackendUnavailableError). */
export type BackendLoader = (request: LoadRequest) => Promise<LoadedBackend>;

export type BackendLoaders = Readonly<Record<CandidateId, BackendLoader>>;

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
