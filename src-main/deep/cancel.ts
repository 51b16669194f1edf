/** Thrown between batches once a job's AbortSignal is aborted; the model keeps its last complete update. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}
