/**
 * Format 3: IDX image and label files (MNIST, Fashion-MNIST; gzipped or not). Several image/label
 * pairs are appended in the order given into one dataset. Sensitive attributes come from an
 * attributes CSV (one row per image, in the same order, with a header) or are derived:
 * brightness groups, `dark` when the mean of an image's stored pixels is below the dataset's median
 * of that mean, `light` otherwise (the median of an even count is the mean of the middle two).
 */
import { basename, resolve } from 'node:path';
import type { WritableDB } from '../../store/database';
import { setAttributeDerivation, setSampleSensitive } from '../../store/datasets';
import { openHeaderedCsv } from '../csv-records';
import { MAX_IDX_ITEMS } from '../file-limits';
import { openIdx, type IdxFile } from '../idx-format';
import { InputError } from '../../errors/input-error';
import { CsvAttributeReader, planAttributes, type AttributeOptions } from './attributes';
import { LabelMapper, type LabelOptions } from './labels';
import { pickDefined, runImport, type CommonImportOptions, type DatasetWriter, type ImportContext, type ImportResult } from './session';

export interface IdxPair {
  readonly images: string;
  readonly labels: string;
}

export type IdxAttributeSource = ({ readonly kind: 'csv'; readonly csv: string } & AttributeOptions) | { readonly kind: 'brightness' };

export interface IdxOptions extends CommonImportOptions {
  readonly pairs: readonly IdxPair[];
  readonly attributes: IdxAttributeSource;
  readonly labels?: LabelOptions;
}

/** Bytes of images read from a file at a time (at least one image): memory per read does not grow with the image size. */
const CHUNK_BYTES = 1024 * 1024;

export async function importIdx(db: WritableDB, options: IdxOptions, ctx: ImportContext = {}): Promise<ImportResult> {
  const source = {
    pairs: options.pairs.map((p) => ({ images: resolve(p.images), labels: resolve(p.labels) })),
    attributes: options.attributes.kind === 'csv' ? { ...options.attributes, csv: resolve(options.attributes.csv) } : options.attributes,
    ...pickDefined({ labels: options.labels, shuffleSeed: options.shuffleSeed }),
  };
  return runImport(db, { format: 'idx', common: options, options: source }, ctx, async (writer) => {
    if (options.pairs.length === 0) throw new InputError('no IDX files: give at least one images file and its labels file');
    const labels = new LabelMapper(options.labels);
    const shape = await checkHeaders(options.pairs);
    ctx.signal?.throwIfAborted();

    const brightness = options.attributes.kind === 'brightness';
    let width: number;
    let table: Uint8Array | undefined;
    if (options.attributes.kind === 'csv') {
      const read = await readAttributeTable(options.attributes, shape.total, writer);
      width = read.width;
      table = read.table;
      writer.define({ labelColumn: 'label', labelMapping: labels.mapping, attributes: read.plan });
    } else {
      width = 2;
      const plan = planAttributes(
        [
          { name: 'dark', derivedFrom: 'brightness' },
          { name: 'light', derivedFrom: 'brightness' },
        ],
        [{ name: 'brightness', columns: ['dark', 'light'] }],
      );
      writer.define({ labelColumn: 'label', labelMapping: labels.mapping, attributes: plan });
    }

    const means = brightness ? new Float64Array(shape.total) : undefined;
    const placeholder = new Uint8Array(width);
    let index = 0;
    for (const pair of options.pairs) {
      // checkHeaders has matched every header against its file's size.
      const images = await openIdx(pair.images, 'images', { checkSize: false });
      let labelFile: IdxFile | undefined;
      try {
        labelFile = await openIdx(pair.labels, 'labels', { checkSize: false });
        const sourceFile = basename(pair.images);
        const perRead = Math.max(1, Math.floor(CHUNK_BYTES / images.itemBytes));
        for (let done = 0; done < images.count; ) {
          const imageBytes = await images.read(perRead);
          const labelBytes = await labelFile.read(perRead);
          const n = labelBytes.length;
          for (let i = 0; i < n; i++, done++, index++) {
            const rawLabel = String(labelBytes[i]);
            const mapped = labels.map(rawLabel);
            if (!mapped.ok) throw new InputError(mapped.detail, { file: pair.labels, row: done + 1 });
            const pixels = imageBytes.subarray(i * images.itemBytes, (i + 1) * images.itemBytes);
            if (means) means[index] = meanOf(pixels);
            const sensitive = table ? table.subarray(index * width, (index + 1) * width) : placeholder;
            writer.add({ sourceFile, sourceRow: done + 1, rawLabel, label: mapped.label, sensitive, pixels });
            await writer.checkpoint({ rowsTotal: shape.total });
          }
        }
        await images.finish();
        await labelFile.finish();
      } finally {
        images.close();
        labelFile?.close();
      }
    }

    if (means) await assignBrightness(writer, means);
    await writer.finish({ nClasses: labels.nClasses, image: { width: shape.columns, height: shape.rows, channels: 1 }, features: null });
  });
}

/**
 * Validates every pair's headers (magic, dimensions, counts against the files' sizes, matching counts
 * and image sizes) before any row is read, so the arrays sized by the total below hold what is there.
 */
async function checkHeaders(pairs: readonly IdxPair[]): Promise<{ rows: number; columns: number; total: number }> {
  let first: IdxFile | undefined;
  let total = 0;
  for (const pair of pairs) {
    const images = await openIdx(pair.images, 'images');
    images.close();
    const labels = await openIdx(pair.labels, 'labels');
    labels.close();
    if (labels.count !== images.count) {
      throw new InputError(`holds ${labels.count} labels but its images file ${basename(pair.images)} holds ${images.count} images`, { file: pair.labels });
    }
    if (first && (images.rows !== first.rows || images.columns !== first.columns)) {
      throw new InputError(`images are ${images.rows}×${images.columns}, but those of ${basename(first.path)} are ${first.rows}×${first.columns}`, {
        file: pair.images,
      });
    }
    first ??= images;
    total += images.count;
    if (total > MAX_IDX_ITEMS) throw new InputError(`the IDX files hold more than the ${MAX_IDX_ITEMS} images an import takes`, { file: pair.images });
  }
  if (total === 0) throw new InputError('the IDX files hold no images', { file: pairs[0].images });
  return { rows: first!.rows, columns: first!.columns, total };
}

async function readAttributeTable(
  options: { readonly csv: string } & AttributeOptions,
  total: number,
  writer: DatasetWriter,
): Promise<{ table: Uint8Array; width: number; plan: ReturnType<typeof planAttributes> }> {
  const csv = await openHeaderedCsv(options.csv);
  try {
    const reader = new CsvAttributeReader(csv, options);
    const table = new Uint8Array(total * reader.width);
    let rows = 0;
    for await (const { cells, line } of csv.records) {
      if (rows === total) throw new InputError(`more attribute rows than the ${total} images of the IDX files`, { file: options.csv, row: line });
      reader.read(cells, line, table.subarray(rows * reader.width, (rows + 1) * reader.width));
      rows++;
      if (rows % 4096 === 0) await writer.checkpoint();
    }
    if (rows !== total) throw new InputError(`has ${rows} attribute rows but the IDX files hold ${total} images (one row per image is needed)`, { file: options.csv });
    return { table, width: reader.width, plan: reader.plan };
  } finally {
    csv.close();
  }
}

function meanOf(pixels: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < pixels.length; i++) sum += pixels[i];
  return sum / pixels.length;
}

/** dark = mean < median, light otherwise; written over the placeholder bytes of every sample. */
async function assignBrightness(writer: DatasetWriter, means: Float64Array): Promise<void> {
  const sorted = Float64Array.from(means).sort();
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const dark = Uint8Array.of(1, 0);
  const light = Uint8Array.of(0, 1);
  const ids = writer.insertedSampleIds;
  for (let i = 0; i < n; i++) {
    setSampleSensitive(writer.db, ids[i], means[i] < median ? dark : light);
    if (i % 4096 === 0) await writer.checkpoint();
  }
  setAttributeDerivation(writer.db, writer.datasetId, 'dark', `brightness: mean pixel value < ${median} (the median)`);
  setAttributeDerivation(writer.db, writer.datasetId, 'light', `brightness: mean pixel value ≥ ${median} (the median)`);
}
