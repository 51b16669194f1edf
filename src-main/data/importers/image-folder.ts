/**
 * Format 1: a folder of PNG/JPEG images and an attributes CSV with a header, one row per image:
 * a file column (path relative to the CSV), a label column and one-hot sensitive columns, e.g.
 * `file,label,M,F` or `file,gender,M,F,White,Black,Asian,Indian,Other`.
 *
 * Images are decoded by sharp a few at a time (in flight while later rows are validated) but stored
 * in CSV order; the first error in CSV order is the one reported.
 *
 * Each image path is checked before it is opened (a regular file of at most `MAX_IMAGE_FILE_BYTES`)
 * and its header read before it is decoded: more than `MAX_IMAGE_PIXELS` pixels, or (without resize)
 * another size than the first image, is refused without decoding. Images decoded ahead share a memory
 * budget (`DECODE_BUDGET_BYTES`, estimated from their headers), so large images are decoded fewer at a time.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { WritableDB } from '../../store/database';
import { openHeaderedCsv } from '../csv-records';
import { MAX_IMAGE_FILE_BYTES, MAX_IMAGE_PIXELS } from '../file-limits';
import { decodeImage, probeImageFile, type Channels, type DecodedImage, type ImageHeader } from '../image-decode';
import { InputError } from '../../errors/input-error';
import { CsvAttributeReader, type AttributeOptions } from './attributes';
import { OrderedBudget } from './decode-budget';
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

/** Images decoded ahead of the row being stored, at most. */
const DECODE_AHEAD = 8;
/** Estimated bytes (file, decoded input, output pixels) of the images in flight, at most (one larger image proceeds alone). */
const DECODE_BUDGET_BYTES = 512 * 1024 * 1024;

type Where = { file: string; row: number; column: string };

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
      type Loaded = { image: DecodedImage; cost: number };
      type Row = { line: number; file: string; rawLabel: string; label: number; sensitive: Uint8Array; image: Promise<Loaded> };
      const pending: Row[] = [];
      let fraction: number | undefined;
      const budget = new OrderedBudget(DECODE_BUDGET_BYTES);
      let sequence = 0;

      const mismatch = (file: string, width: number, height: number, where: Where): InputError =>
        new InputError(
          `image '${file}' is ${width}×${height}, but the first image is ${reference!.width}×${reference!.height}; ` +
            'resize them all to one square size, or fix the image',
          where,
        );
      /** Checks the file and its header, waits for its share of the budget, reads and decodes it. */
      const load = async (file: string, line: number, seq: number, header: ImageHeader | undefined): Promise<Loaded> => {
        const where = { file: options.csv, row: line, column: source.fileColumn };
        const path = resolve(folder, file);
        let acquired = 0;
        try {
          const size = await checkImageFile(path, file, where);
          const head = header ?? (await probe(path, file, where));
          if (reference !== undefined && options.resize === undefined && (head.width !== reference.width || head.height !== reference.height)) {
            throw mismatch(file, head.width, head.height, where);
          }
          const channels = options.channels ?? reference?.channels ?? head.channels;
          const out = options.resize === undefined ? head.width * head.height * channels : options.resize * options.resize * channels;
          const cost = size + head.width * head.height * Math.max(head.bands, channels) + out;
          await budget.acquire(seq, cost);
          acquired = cost;
          const bytes = await readImageFile(path, file, where);
          try {
            return { image: await decodeImage(bytes, channels, options.resize), cost };
          } catch (err) {
            throw new InputError(`cannot decode image '${file}': ${err instanceof Error ? err.message : String(err)}`, where, { cause: err });
          }
        } catch (err) {
          if (acquired > 0) budget.release(acquired);
          else budget.skip(seq);
          throw err;
        }
      };
      const store = async (row: Row): Promise<void> => {
        const { image, cost } = await row.image;
        try {
          if (image.width !== reference!.width || image.height !== reference!.height) {
            throw mismatch(row.file, image.width, image.height, { file: options.csv, row: row.line, column: source.fileColumn });
          }
          writer.add({ sourceFile: row.file, sourceRow: row.line, rawLabel: row.rawLabel, label: row.label, sensitive: row.sensitive, pixels: image.pixels });
        } finally {
          budget.release(cost);
        }
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
            await checkImageFile(resolve(folder, file), file, where);
            const header = await probe(resolve(folder, file), file, where);
            const loaded = await load(file, line, sequence++, header);
            reference = { width: loaded.image.width, height: loaded.image.height, channels: options.channels ?? header.channels };
            await store({ line, file, rawLabel: cells[labelIndex], label: mapped.label, sensitive, image: Promise.resolve(loaded) });
            continue;
          }
          const image = load(file, line, sequence++, undefined);
          image.catch(() => undefined); // reported in order by store(); never an unhandled rejection
          pending.push({ line, file, rawLabel: cells[labelIndex], label: mapped.label, sensitive, image });
          if (pending.length >= DECODE_AHEAD) await store(pending.shift()!);
        }
        while (pending.length > 0) await store(pending.shift()!);
      } catch (err) {
        // An earlier row's image error wins over a later row's CSV error: report the first in file order.
        // Each settled row gives its share back, so the rows after it are not left waiting for it.
        const failedRow = err instanceof InputError ? err.row : undefined;
        for (const row of pending) {
          let loaded: Loaded;
          try {
            loaded = await row.image;
          } catch (imageErr) {
            if (failedRow === undefined || row.line < failedRow) throw imageErr;
            continue;
          }
          budget.release(loaded.cost);
        }
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

/** Stats the image path before anything opens it: a regular file of at most `MAX_IMAGE_FILE_BYTES`; returns its size. */
async function checkImageFile(path: string, asWritten: string, where: Where): Promise<number> {
  let stats;
  try {
    stats = await stat(path);
  } catch (err) {
    throw new InputError(describeReadFailure(err, path, asWritten), where, { cause: err });
  }
  if (stats.isDirectory()) throw new InputError(`image path '${asWritten}' is a directory`, where);
  // A FIFO would block the read until something writes to it; a device never ends.
  if (!stats.isFile()) throw new InputError(`image path '${asWritten}' is not a regular file (a FIFO, socket or device)`, where);
  if (stats.size > MAX_IMAGE_FILE_BYTES) {
    throw new InputError(`image file '${asWritten}' is ${stats.size} bytes, more than the ${MAX_IMAGE_FILE_BYTES} an image file may have`, where);
  }
  return stats.size;
}

/** The image's header; more than `MAX_IMAGE_PIXELS` pixels is refused here, before any decoding. */
async function probe(path: string, asWritten: string, where: Where): Promise<ImageHeader> {
  let header: ImageHeader;
  try {
    header = await probeImageFile(path);
  } catch (err) {
    throw new InputError(`cannot decode image '${asWritten}': ${err instanceof Error ? err.message : String(err)}`, where, { cause: err });
  }
  if (header.width * header.height > MAX_IMAGE_PIXELS) {
    throw new InputError(
      `image '${asWritten}' is ${header.width}×${header.height} pixels, more than the pixel limit of ${MAX_IMAGE_PIXELS} pixels per image; scale it down first`,
      where,
    );
  }
  return header;
}

async function readImageFile(path: string, asWritten: string, where: Where): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new InputError(describeReadFailure(err, path, asWritten), where, { cause: err });
  }
}

function describeReadFailure(err: unknown, path: string, asWritten: string): string {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  if (code === 'ENOENT' || code === 'ENOTDIR') return `image file '${asWritten}' not found (looked for ${path})`;
  if (code === 'EISDIR') return `image path '${asWritten}' is a directory`;
  return `cannot read image file '${asWritten}': ${err instanceof Error ? err.message : String(err)}`;
}
