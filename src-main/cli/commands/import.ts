import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { importRequest, type ImportRequest } from '../../../src-shared/contract/schemas';
import type { z } from 'zod';
import { IMPORT_WORKER_MARKER } from '../../jobs/import-thread/protocol';
import { serveImportWorker } from '../../jobs/import-thread/serve';
import { ImportCancelledError, importDataset, type ImportProgress } from '../../data/importers';
import { openWorkspace, resolveDatabasePath } from '../../store/database';
import { datasetSummary } from '../../store/summary';
import { parseFlagInput } from '../flag-input';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';
import { formatSummary } from './datasets';

export const importHelp = `fairbound import <format> ... --name <name> [--db <file>] [--json]
formats:
  folder     --csv attrs.csv --label <column> [--file-column file] [--resize N] [--grayscale | --rgb]
             images (PNG/JPEG) listed in a headered CSV, paths relative to it: file,label,<one-hot columns>
  pixels     --csv age_gender.csv --label <column> [--pixels-column pixels]
             one column of space-separated 0–255 values of a square grayscale image per row
  idx        --images a-images-idx3-ubyte[.gz] --labels a-labels-idx1-ubyte[.gz] [--images … --labels …]
             (--brightness | --attributes attrs.csv)
             MNIST/Fashion-MNIST files, pairs appended in order; sensitive groups from a CSV (one row
             per image) or brightness: dark = mean pixel below the dataset's median, light otherwise
  seldonian  --csv data.csv --metadata metadata.json
             the Seldonian Toolkit's headerless CSV (features stored as float64) + metadata JSON
sensitive attributes (folder, pixels, idx --attributes):
  --sensitive M,F            one-hot 0/1 columns of the CSV
  --derive gender=M,F        one-hot columns from a categorical column: value 0 → M, 1 → F
  --derive race=0:White,1:Black,…   the same with explicit values; each --derive forms a family
  --family sex=M,F           columns exactly one of which is 1 in every row (repeatable; any format)
labels:
  --classes cat,dog          the allowed labels, in class-id order (default: integers ≥ 0 are class ids)
  --binary-classes 0,2,4,6   binary labels: these → 1, all others → 0
common:
  --shuffle-seed N           store rows in a seeded shuffle (0..4294967295) instead of file order
  --min-group-size N         warn about groups with fewer rows (default 5)
  --quiet                    no progress lines on stderr
  Everything is imported or nothing: bad input (exit 2, the message names file, row and column), a
  failure (exit 1) or Ctrl-C (exit 130) leaves no dataset, only the import job marked failed/cancelled.`;

const common = {
  name: { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  'shuffle-seed': { type: 'string' },
  'min-group-size': { type: 'string' },
  family: { type: 'string', multiple: true },
  'binary-classes': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const attributeFlags = {
  sensitive: { type: 'string' },
  derive: { type: 'string', multiple: true },
  classes: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const formats = {
  folder: { ...common, ...attributeFlags, csv: { type: 'string' }, label: { type: 'string' }, 'file-column': { type: 'string' }, resize: { type: 'string' }, grayscale: { type: 'boolean' }, rgb: { type: 'boolean' } },
  pixels: { ...common, ...attributeFlags, csv: { type: 'string' }, label: { type: 'string' }, 'pixels-column': { type: 'string' } },
  idx: { ...common, ...attributeFlags, images: { type: 'string', multiple: true }, labels: { type: 'string', multiple: true }, brightness: { type: 'boolean' }, attributes: { type: 'string' } },
  seldonian: { ...common, csv: { type: 'string' }, metadata: { type: 'string' } },
} as const satisfies Record<string, ParseArgsConfig['options']>;

type Format = keyof typeof formats;
/** Every flag's value as parseArgs returns it (flags a format does not define are rejected before this). */
type Values = Record<string, string | boolean | string[] | undefined>;

export async function runImportCommand(args: string[], out: CliOutput): Promise<number> {
  const [format, ...rest] = args;
  if (format === '__worker') return serveImportWorkerCommand();
  if (format === undefined || format.startsWith('-')) throw new UsageError('import needs a format: folder, pixels, idx or seldonian');
  if (!Object.hasOwn(formats, format)) throw new UsageError(`unknown import format '${format}' (folder, pixels, idx, seldonian)`);
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: formats[format as Format] });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const v = values as Values;
  const minGroupSize = optionalInteger(v, 'min-group-size', 1, Number.MAX_SAFE_INTEGER);
  const request = importRequestFromFlags(format as Format, v);
  const { name } = request;

  const db = openWorkspace(resolveDatabasePath(v.db as string | undefined));
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error('interrupted (Ctrl-C)'));
  process.once('SIGINT', onSigint);
  const progress = progressPrinter(out, name, v.quiet === true);
  try {
    const result = await importDataset(db, request, { signal: controller.signal, onProgress: progress });
    const summary = datasetSummary(db, result.dataset.id, { minGroupSize });
    if (v.json) out.stdout(stringifyJson({ jobId: result.jobId, summary }));
    else out.stdout(`imported dataset ${result.dataset.id} '${result.dataset.name}' (import job ${result.jobId})\n${formatSummary(summary)}`);
    return 0;
  } catch (err) {
    if (err instanceof ImportCancelledError) {
      out.stderr(`error: ${err.message} (job ${err.jobId} marked cancelled; nothing was imported)`);
      return 130;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    db.close();
  }
}

/** The contract's import request before its schema has checked it: what the flags make. */
type ImportCandidate = z.input<typeof importRequest>;
/** A family and a derived attribute as the request takes them. */
type AttributeFamily = NonNullable<Extract<ImportCandidate, { format: 'seldonian' }>['families']>[number];
type DerivedAttribute = NonNullable<Extract<ImportCandidate, { format: 'pixels' }>['derive']>[number];

/** The request's fields whose flag is not the kebab-case of their name (dotted: a nested field, array indices left out). */
const RENAMED: Readonly<Record<string, string>> = {
  labelColumn: 'label',
  labels: 'classes',
  'labels.classes': 'classes',
  'labels.positiveClasses': 'binary-classes',
  positiveClasses: 'binary-classes',
  families: 'family',
  channels: 'grayscale',
  pairs: 'images',
  'pairs.images': 'images',
  'pairs.labels': 'labels',
  attributes: 'attributes',
  'attributes.csv': 'attributes',
  'attributes.sensitive': 'sensitive',
  'attributes.derive': 'derive',
  'attributes.families': 'family',
};

/**
 * Turns the flags into the contract's ImportRequest, checked by its own zod schema (the `datasets.import`
 * route's), so the CLI imports exactly what the app would; a complaint names the flag (exit 2).
 */
export function importRequestFromFlags(format: Format, v: Values): ImportRequest {
  const common = {
    name: requireString(v, 'name'),
    shuffleSeed: optionalInteger(v, 'shuffle-seed', 0, 0xffffffff),
  };
  const families = (v.family as string[] | undefined)?.map((f) => parseNamedList(f, '--family'));
  const labels = labelOptions(v);
  return parseFlagInput(importRequest, requestCandidate(format, v, common, families, labels), RENAMED);
}

function requestCandidate(format: Format, v: Values, common: { name: string; shuffleSeed: number | undefined }, families: AttributeFamily[] | undefined, labels: LabelFlags | undefined): ImportCandidate {
  switch (format) {
    case 'folder': {
      if (v.grayscale && v.rgb) throw new UsageError('--grayscale and --rgb exclude each other');
      return {
        format,
        ...common,
        csv: requireString(v, 'csv'),
        labelColumn: requireString(v, 'label'),
        fileColumn: v['file-column'] as string | undefined,
        resize: optionalInteger(v, 'resize', 1, 4096),
        channels: v.grayscale ? 1 : v.rgb ? 3 : undefined,
        labels,
        ...attributeOptions(v, families),
      };
    }
    case 'pixels':
      return {
        format,
        ...common,
        csv: requireString(v, 'csv'),
        labelColumn: requireString(v, 'label'),
        pixelsColumn: v['pixels-column'] as string | undefined,
        labels,
        ...attributeOptions(v, families),
      };
    case 'idx': {
      const images = (v.images as string[] | undefined) ?? [];
      const labelFiles = (v.labels as string[] | undefined) ?? [];
      if (images.length === 0) throw new UsageError('idx needs --images <file> --labels <file> (repeat the pair to append more files)');
      if (images.length !== labelFiles.length) throw new UsageError(`give one --labels per --images (got ${images.length} --images, ${labelFiles.length} --labels)`);
      const csv = v.attributes as string | undefined;
      if ((csv === undefined) === (v.brightness !== true)) throw new UsageError('idx needs exactly one of --brightness and --attributes <attrs.csv>');
      if (csv === undefined && (v.sensitive !== undefined || v.derive !== undefined || families !== undefined)) {
        throw new UsageError('--sensitive, --derive and --family go with --attributes (brightness makes its own dark/light family)');
      }
      return {
        format,
        ...common,
        labels,
        pairs: images.map((file, i) => ({ images: file, labels: labelFiles[i] ?? '' })),
        attributes: csv === undefined ? { kind: 'brightness' } : { kind: 'csv', csv, ...attributeOptions(v, families) },
      };
    }
    case 'seldonian':
      return {
        format,
        ...common,
        families,
        csv: requireString(v, 'csv'),
        metadata: requireString(v, 'metadata'),
        positiveClasses: labels?.positiveClasses,
      };
  }
}

function requireString(v: Values, flag: string): string {
  const value = v[flag];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

function optionalInteger(v: Values, flag: string, min: number, max: number): number | undefined {
  const raw = v[flag];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer ${min}–${max}, got '${String(raw)}'`);
  }
  return n;
}

function splitList(raw: string, flag: string): string[] {
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`${flag} '${raw}' has an empty item`);
  return items;
}

/** `sex=M,F` → { name: 'sex', columns: ['M', 'F'] }. */
function parseNamedList(raw: string, flag: string): AttributeFamily {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} expects name=A,B, got '${raw}'`);
  return { name: raw.slice(0, eq).trim(), columns: splitList(raw.slice(eq + 1), flag) };
}

/** `gender=M,F` (values 0, 1, …) or `race=0:White,1:Black`. */
function parseDerive(raw: string): DerivedAttribute {
  const { name: column, columns: items } = parseNamedList(raw, '--derive');
  const explicit = items.filter((item) => item.includes(':')).length;
  if (explicit !== 0 && explicit !== items.length) throw new UsageError(`--derive '${raw}': give value:name for every item or for none`);
  const values = items.map((item, i) => {
    if (explicit === 0) return { value: String(i), name: item };
    const colon = item.indexOf(':');
    const value = item.slice(0, colon).trim();
    const name = item.slice(colon + 1).trim();
    if (value === '' || name === '') throw new UsageError(`--derive '${raw}': '${item}' is not value:name`);
    return { value, name };
  });
  return { column, values };
}

/** An absent flag's field stays absent, as in a request the app sends (the dataset records the options as given). */
function attributeOptions(v: Values, families: AttributeFamily[] | undefined): { sensitive?: string[]; derive?: DerivedAttribute[]; families?: AttributeFamily[] } {
  return {
    sensitive: typeof v.sensitive === 'string' ? splitList(v.sensitive, '--sensitive') : undefined,
    derive: v.derive === undefined ? undefined : (v.derive as string[]).map(parseDerive),
    families,
  };
}

interface LabelFlags {
  classes?: string[];
  positiveClasses?: string[];
}

function labelOptions(v: Values): LabelFlags | undefined {
  const classes = typeof v.classes === 'string' ? splitList(v.classes, '--classes') : undefined;
  const positiveClasses = typeof v['binary-classes'] === 'string' ? splitList(v['binary-classes'], '--binary-classes') : undefined;
  if (classes === undefined && positiveClasses === undefined) return undefined;
  return { ...(classes ? { classes } : {}), ...(positiveClasses ? { positiveClasses } : {}) };
}

/** A progress line on stderr at most once a second, from the first second on (short imports stay quiet). */
/** The hidden subcommand an import worker thread of the CLI bundle runs (`fairbound serve`; see src-main/jobs/worker-entry.ts). */
function serveImportWorkerCommand(): Promise<number> {
  if (isMainThread || !parentPort || workerData !== IMPORT_WORKER_MARKER) throw new UsageError('import __worker is internal: it runs only inside an import worker thread');
  const port = parentPort;
  serveImportWorker(port);
  // The CLI's entry exits when the command resolves: resolve once the worker has sent its last message.
  return new Promise((resolve) => port.once('close', () => resolve(0)));
}

export function progressPrinter(out: CliOutput, name: string, quiet: boolean, clock: () => number = Date.now): (p: ImportProgress) => void {
  const started = clock();
  let last = started;
  return (p) => {
    const now = clock();
    if (quiet || now - last < 1000) return;
    last = now;
    const of = p.rowsTotal !== undefined ? `/${p.rowsTotal}` : '';
    const pct = p.fraction !== undefined ? ` (${(100 * p.fraction).toFixed(0)}%)` : '';
    const phase = p.phase === 'reading' ? '' : ` [${p.phase}]`;
    out.stderr(`importing '${name}': ${p.rowsDone}${of} rows${pct}${phase}, ${((now - started) / 1000).toFixed(0)} s`);
  };
}
