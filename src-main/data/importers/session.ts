/**
 * One import = one job row + one transaction, so a failure or a cancel leaves no half dataset:
 *   1. the `import_job` row is inserted as `running` (committed on its own, so a UI can show it);
 *   2. `BEGIN IMMEDIATE`; the importer streams rows into `dataset`/`attribute`/`sample`, checking the
 *      AbortSignal between rows; `COMMIT` at the end;
 *   3. on any error or a cancel: `ROLLBACK` (nothing of the dataset remains), then the job row is
 *      marked `failed`/`cancelled` with the reason, in a transaction of its own.
 *
 * The transaction stays open across awaits (decoding, file reads), so the connection passed in must
 * not be used by anything else until the import settles: job workers open a connection of their own
 * (other connections, and other processes, keep reading the last committed state meanwhile).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { WritableDB } from '../../store/database';
import {
  datasetNameExists,
  finishDatasetRow,
  getDataset,
  insertDataset,
  insertSample,
  setSampleOrder,
  type DatasetFormat,
  type DatasetInfo,
  type FeatureShape,
  type ImageShape,
  type LabelMapping,
} from '../../store/datasets';
import { finishImportJob, startImportJob } from '../../store/import-jobs';
import { prepareCached } from '../../store/sql';
import { InputError } from '../../errors/input-error';
import { isValidSeed, MAX_SEED, seededPermutation } from '../shuffle';
import type { AttributePlan } from './attributes';

export interface ImportProgress {
  readonly phase: 'reading' | 'ordering' | 'committing';
  readonly rowsDone: number;
  /** Known for IDX and Seldonian files; CSV imports give `fraction` (of the file's bytes) instead. */
  readonly rowsTotal?: number;
  /** 0..1 where known. */
  readonly fraction?: number;
}

export interface ImportContext {
  /** Checked between rows; an abort rolls the import back and marks its job `cancelled`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Called with the job id as soon as its row exists. */
  readonly onJobStarted?: (jobId: number) => void;
}

export interface ImportResult {
  readonly jobId: number;
  readonly dataset: DatasetInfo;
}

/** Options every format shares. */
export interface CommonImportOptions {
  /** Unique dataset name. */
  readonly name: string;
  /** Absent: file order. Else rows are stored in a seeded shuffle (0..2^32−1), recorded with the dataset. */
  readonly shuffleSeed?: number;
}

/** Thrown when an import was aborted through its signal; its job row says `cancelled`. */
export class ImportCancelledError extends Error {
  override readonly name = 'ImportCancelledError';
  constructor(
    readonly jobId: number,
    reason: string,
  ) {
    super(`import cancelled: ${reason}`);
  }
}

/** What an importer declares once it knows its columns (after reading a header, say). */
export interface DatasetDefinition {
  readonly labelColumn: string;
  readonly labelMapping: LabelMapping;
  readonly attributes: AttributePlan;
}

export interface SampleInput {
  readonly sourceFile: string;
  readonly sourceRow: number;
  readonly rawLabel: string;
  readonly label: number;
  readonly sensitive: Uint8Array;
  readonly pixels?: Uint8Array;
  readonly features?: Float32Array | Float64Array;
}

/** How often (rows) progress is reported and the signal is checked without yielding. */
const PROGRESS_EVERY = 64;
/** Longest stretch of synchronous work before yielding, so an abort from a timer or a signal handler lands. */
const YIELD_AFTER_MS = 50;

/** Writes one dataset inside the import's transaction. */
export class DatasetWriter {
  private id: number | undefined;
  private readonly sampleIds: number[] = [];
  private lastYield = Date.now();

  constructor(
    readonly db: WritableDB,
    private readonly ctx: ImportContext,
    private readonly name: string,
    private readonly format: DatasetFormat,
    private readonly source: Readonly<Record<string, unknown>>,
    private readonly shuffleSeed: number | null,
  ) {}

  get rowsDone(): number {
    return this.sampleIds.length;
  }

  /** Ids of the inserted samples, in source order (for importers that update rows at the end). */
  get insertedSampleIds(): readonly number[] {
    return this.sampleIds;
  }

  get datasetId(): number {
    if (this.id === undefined) throw new Error('DatasetWriter: define() was not called');
    return this.id;
  }

  /** Inserts the dataset row, its families and attributes. */
  define(definition: DatasetDefinition): void {
    if (this.id !== undefined) throw new Error('DatasetWriter: define() called twice');
    this.id = insertDataset(this.db, {
      name: this.name,
      format: this.format,
      source: this.source,
      labelColumn: definition.labelColumn,
      labelMapping: definition.labelMapping,
      shuffleSeed: this.shuffleSeed,
      attributes: definition.attributes.attributes,
      families: definition.attributes.families,
    });
  }

  add(sample: SampleInput): void {
    const sourceIndex = this.sampleIds.length;
    // While shuffling, rows get a temporary order (−1, −2, …) that cannot collide with the final 0..n−1.
    const orderIndex = this.shuffleSeed === null ? sourceIndex : -1 - sourceIndex;
    this.sampleIds.push(
      insertSample(this.db, this.datasetId, {
        orderIndex,
        sourceIndex,
        sourceFile: sample.sourceFile,
        sourceRow: sample.sourceRow,
        rawLabel: sample.rawLabel,
        label: sample.label,
        sensitive: sample.sensitive,
        pixels: sample.pixels ?? null,
        features: sample.features ?? null,
      }),
    );
  }

  /**
   * Between rows: throws when aborted, reports progress every few hundred rows, and yields to the
   * event loop when synchronous work has run for a while.
   */
  async checkpoint(progress: { rowsTotal?: number; fraction?: number } = {}): Promise<void> {
    const n = this.sampleIds.length;
    if (n % PROGRESS_EVERY === 0 && n > 0) this.report('reading', progress);
    this.ctx.signal?.throwIfAborted();
    if (Date.now() - this.lastYield > YIELD_AFTER_MS) {
      await yieldToEventLoop();
      this.lastYield = Date.now();
      this.ctx.signal?.throwIfAborted();
    }
  }

  report(phase: ImportProgress['phase'], progress: { rowsTotal?: number; fraction?: number } = {}): void {
    const rowsDone = this.sampleIds.length;
    const fraction = progress.rowsTotal ? rowsDone / progress.rowsTotal : progress.fraction;
    this.ctx.onProgress?.({ phase, rowsDone, ...(progress.rowsTotal !== undefined ? { rowsTotal: progress.rowsTotal } : {}), ...(fraction !== undefined ? { fraction } : {}) });
  }

  /** Applies the shuffle (if any) and writes the final counts and shapes. */
  async finish(final: { nClasses: number; image: ImageShape | null; features: FeatureShape | null; empty?: { detail: string; file?: string } }): Promise<void> {
    const n = this.sampleIds.length;
    if (n === 0) throw new InputError(final.empty?.detail ?? 'no data rows', { file: final.empty?.file });
    this.report('ordering', { rowsTotal: n });
    if (this.shuffleSeed !== null) {
      const perm = seededPermutation(n, this.shuffleSeed);
      for (let i = 0; i < n; i++) {
        setSampleOrder(this.db, this.sampleIds[perm[i]], i);
        if (i % 4096 === 0) await this.checkpoint();
      }
    }
    this.ctx.signal?.throwIfAborted();
    finishDatasetRow(this.db, this.datasetId, { nRows: n, nClasses: final.nClasses, image: final.image, features: final.features });
  }
}

/**
 * Runs `body` as one import: job row, transaction, commit or rollback, job outcome. `body` must call
 * `writer.define()`, add its samples and `writer.finish()`.
 */
export async function runImport(
  db: WritableDB,
  job: { format: DatasetFormat; common: CommonImportOptions; options: Readonly<Record<string, unknown>> },
  ctx: ImportContext,
  body: (writer: DatasetWriter) => Promise<void>,
): Promise<ImportResult> {
  const { name, shuffleSeed } = job.common;
  if (db.inTransaction) {
    throw new Error('the database connection is inside a transaction (another import on it?); give each import a connection of its own');
  }
  const jobId = startImportJob(db, { format: job.format, datasetName: name, options: job.options });
  ctx.onJobStarted?.(jobId);
  const writer = new DatasetWriter(db, ctx, name, job.format, job.options, shuffleSeed ?? null);
  try {
    prepareCached(db, 'BEGIN IMMEDIATE').run();
    validateCommon(db, job.common);
    ctx.signal?.throwIfAborted();
    await body(writer);
    ctx.signal?.throwIfAborted();
    writer.report('committing', { rowsTotal: writer.rowsDone });
    prepareCached(db, 'COMMIT').run();
  } catch (err) {
    if (db.inTransaction) prepareCached(db, 'ROLLBACK').run();
    const cancelled = ctx.signal?.aborted === true;
    const reason = cancelled ? describeAbort(ctx.signal?.reason) : err instanceof Error ? err.message : String(err);
    finishImportJob(db, jobId, {
      status: cancelled ? 'cancelled' : 'failed',
      rowsDone: writer.rowsDone,
      error: reason,
      ...(err instanceof InputError && !cancelled
        ? { errorLocation: { file: err.file, row: err.row, column: err.column, key: err.key, detail: err.detail } }
        : {}),
    });
    if (cancelled) throw new ImportCancelledError(jobId, reason);
    throw err;
  }
  finishImportJob(db, jobId, { status: 'succeeded', datasetId: writer.datasetId, rowsDone: writer.rowsDone });
  return { jobId, dataset: getDataset(db, writer.datasetId)! };
}

function validateCommon(db: WritableDB, common: CommonImportOptions): void {
  if (common.name.trim() === '' || common.name !== common.name.trim()) {
    throw new InputError(`dataset name '${common.name}' must be non-empty, without leading or trailing spaces`);
  }
  if (datasetNameExists(db, common.name)) throw new InputError(`a dataset named '${common.name}' already exists`);
  if (common.shuffleSeed !== undefined && !isValidSeed(common.shuffleSeed)) {
    throw new InputError(`shuffle seed must be an integer in 0..${MAX_SEED}, got ${common.shuffleSeed}`);
  }
}

function describeAbort(reason: unknown): string {
  if (reason instanceof Error) return reason.name === 'AbortError' ? 'aborted' : reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}

/** The entries whose value is defined (so stored option JSON lists only what was given). */
export function pickDefined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
