/**
 * Format 1: a folder of PNG/JPEG images and an attributes CSV with a header, one row per image:
 * a file column (path relative to the CSV), a label column and one-hot sensitive columns, e.g.
 * `file,label,M,F` or `file,gender,M,F,White,Black,Asian,Indian,Other`.
 *
 * Images are decoded by sharp a few at a time (in flight while later rows are validated) but stored
 * in CSV order; the first error in CSV order is the one reported.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { WritableDB } from '../../store/database';
import { openHeaderedCsv } from '../csv-records';
import { decodeImage, storedChannels, type Channels, type DecodedImage } from '../image-decode';
import { InputError } from '../../errors/input-error';
import { CsvAttributeReader, type AttributeOptions } from './attributes';
import { LabelMapper, type LabelOptions } from './labels';
import { pickDefined, runImport, type CommonImportOptions, type ImportContext, type ImportResult } from './session';

export interface ImageFolderOptions extends CommonImportOptions, AttributeOptions {
  /** The attributes CSV; image paths in it are relative to its folder. */
  readonly csv: string;
  /** Column of image paths; default `file`. */
  readonly fileColumn?: string;
  readonly labelColumn: string;
  readonly labels?: LabelOptions;
  /** Resize every image to resize × resize (stretching). Absent: all images must have the first image's size. */
  readonly resize?: number;
  /** 1 grayscale, 3 RGB; absent: the first image's (the others are converted to it). */
  readonly channels?: Channels;
}

/** Images decoded ahead of the row being stored. */
const DECODE_AHEAD = 8;

export async function importImageFolder(db: WritableDB, options: ImageFolderOptions, ctx: ImportContext = {}): Promise<ImportResult> {
  const source = {
    csv: resolve(options.csv),
    fileColumn: options.fileColumn ?? 'file',
    labelColumn: options.labelColumn,
    ...pickDefined({ labels: options.labels, sensitive: options.sensitive, derive: options.derive, families: options.families }),
    ...pickDefined({ resize: options.resize, channels: options.channels, shuffleSeed: options.shuffleSeed }),
  };
  return runImport(db, { format: 'folder', common: options, options: source }, ctx, async (writer) => {
    if (options.resize !== undefined && !(Number.isInteger(options.resize) && options.resize >= 1 && options.resize <= 4096)) {
      throw new InputError(`resize must be an integer 1–4096, got ${options.resize}`);
    }
    const labels = new LabelMapper(options.labels);
    const csv = await openHeaderedCsv(options.csv);
    try {
      const fileIndex = csv.column(source.fileColumn, 'file');
      const labelIndex = csv.column(options.labelColumn, 'label');
      const attributes = new CsvAttributeReader(csv, options);
      writer.define({ labelColumn: options.labelColumn, labelMapping: labels.mapping, attributes: attributes.plan });
      const folder = dirname(options.csv);

      let reference: { width: number; height: number; channels: Channels } | undefined;
      type Row = { line: number; file: string; rawLabel: string; label: number; sensitive: Uint8Array; image: Promise<DecodedImage> };
      const pending: Row[] = [];
      let fraction: number | undefined;

      const load = async (file: string, line: number, channels: Channels): Promise<DecodedImage> => {
        const where = { file: options.csv, row: line, column: source.fileColumn };
        const bytes = await readImageFile(resolve(folder, file), file, where);
        try {
          return await decodeImage(bytes, channels, options.resize);
        } catch (err) {
          throw new InputError(`cannot decode image '${file}': ${err instanceof Error ? err.message : String(err)}`, where, { cause: err });
        }
      };
      const store = async (row: Row): Promise<void> => {
        const image = await row.image;
        if (image.width !== reference!.width || image.height !== reference!.height) {
          throw new InputError(
            `image '${row.file}' is ${image.width}×${image.height}, but the first image is ${reference!.width}×${reference!.height}; ` +
              'resize them all to one square size, or fix the image',
            { file: options.csv, row: row.line, column: source.fileColumn },
          );
        }
        writer.add({ sourceFile: row.file, sourceRow: row.line, rawLabel: row.rawLabel, label: row.label, sensitive: row.sensitive, pixels: image.pixels });
        await writer.checkpoint({ fraction });
      };

      try {
        for await (const record of csv.records) {
          const { cells, line } = record;
          const file = cells[fileIndex];
          if (file === '') throw new InputError('empty image path', { file: options.csv, row: line, column: source.fileColumn });
          const mapped = labels.map(cells[labelIndex]);
          if (!mapped.ok) throw new InputError(mapped.detail, { file: options.csv, row: line, column: options.labelColumn });
          const sensitive = new Uint8Array(attributes.width);
          attributes.read(cells, line, sensitive);

          fraction = record.fraction;
          if (reference === undefined) {
            // The first image fixes the channels (unless given) and, without resize, the size.
            const where = { file: options.csv, row: line, column: source.fileColumn };
            const channels = options.channels ?? (await probeChannels(resolve(folder, file), file, where));
            const image = await load(file, line, channels);
            reference = { width: image.width, height: image.height, channels };
            await store({ line, file, rawLabel: cells[labelIndex], label: mapped.label, sensitive, image: Promise.resolve(image) });
            continue;
          }
          const image = load(file, line, reference.channels);
          image.catch(() => undefined); // reported in order by store(); never an unhandled rejection
          pending.push({ line, file, rawLabel: cells[labelIndex], label: mapped.label, sensitive, image });
          if (pending.length >= DECODE_AHEAD) await store(pending.shift()!);
        }
        while (pending.length > 0) await store(pending.shift()!);
      } catch (err) {
        // An earlier row's image error wins over a later row's CSV error: report the first in file order.
        for (const row of pending) await row.image;
        throw err;
      }

      await writer.finish({
        nClasses: labels.nClasses,
        image: reference ? { ...reference } : null,
        features: null,
        empty: { detail: 'a header but no data rows', file: options.csv },
      });
    } finally {
      csv.close();
    }
  });
}

async function readImageFile(path: string, asWritten: string, where: { file: string; row: number; column: string }): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    const detail =
      code === 'ENOENT'
        ? `image file '${asWritten}' not found (looked for ${path})`
        : code === 'EISDIR'
          ? `image path '${asWritten}' is a directory`
          : `cannot read image file '${asWritten}': ${err instanceof Error ? err.message : String(err)}`;
    throw new InputError(detail, where, { cause: err });
  }
}

async function probeChannels(path: string, asWritten: string, where: { file: string; row: number; column: string }): Promise<Channels> {
  const bytes = await readImageFile(path, asWritten, where);
  try {
    return await storedChannels(bytes);
  } catch (err) {
    throw new InputError(`cannot decode image '${asWritten}': ${err instanceof Error ? err.message : String(err)}`, where, { cause: err });
  }
}
