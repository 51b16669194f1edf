/**
 * Format 2: a pixel-string CSV as in Tutorial J's UTKFace `age_gender.csv`: a `pixels` column of
 * space-separated 0–255 values of a square grayscale image, and other columns (age, ethnicity,
 * gender, img_name). The label is a chosen column; sensitive columns are one-hot columns of the file
 * or derived from categorical ones (gender 0/1 → M, F; ethnicity 0–4 → five columns).
 */
import { basename, resolve } from 'node:path';
import type { WritableDB } from '../../store/database';
import { openHeaderedCsv } from '../csv-records';
import { InputError } from '../../errors/input-error';
import { parsePixelString, squareSide } from '../pixel-string';
import { CsvAttributeReader, type AttributeOptions } from './attributes';
import { LabelMapper, type LabelOptions } from './labels';
import { pickDefined, runImport, type CommonImportOptions, type ImportContext, type ImportResult } from './session';

export interface PixelCsvOptions extends CommonImportOptions, AttributeOptions {
  readonly csv: string;
  /** Column of pixel strings; default `pixels`. */
  readonly pixelsColumn?: string;
  readonly labelColumn: string;
  readonly labels?: LabelOptions;
}

export async function importPixelCsv(db: WritableDB, options: PixelCsvOptions, ctx: ImportContext = {}): Promise<ImportResult> {
  const pixelsColumn = options.pixelsColumn ?? 'pixels';
  const source = {
    csv: resolve(options.csv),
    pixelsColumn,
    labelColumn: options.labelColumn,
    ...pickDefined({ labels: options.labels, sensitive: options.sensitive, derive: options.derive, families: options.families, shuffleSeed: options.shuffleSeed }),
  };
  return runImport(db, { format: 'pixels', common: options, options: source }, ctx, async (writer) => {
    const labels = new LabelMapper(options.labels);
    const csv = await openHeaderedCsv(options.csv);
    try {
      const pixelsIndex = csv.column(pixelsColumn, 'pixels');
      const labelIndex = csv.column(options.labelColumn, 'label');
      const attributes = new CsvAttributeReader(csv, options);
      writer.define({ labelColumn: options.labelColumn, labelMapping: labels.mapping, attributes: attributes.plan });
      const sourceFile = basename(options.csv);
      const sensitive = new Uint8Array(attributes.width);
      let side: number | undefined;

      for await (const { cells, line, fraction } of csv.records) {
        const where = { file: options.csv, row: line };
        const mapped = labels.map(cells[labelIndex]);
        if (!mapped.ok) throw new InputError(mapped.detail, { ...where, column: options.labelColumn });
        attributes.read(cells, line, sensitive);
        const parsed = parsePixelString(cells[pixelsIndex], side === undefined ? undefined : side * side);
        if (!parsed.ok) throw new InputError(parsed.detail, { ...where, column: pixelsColumn });
        if (side === undefined) {
          side = squareSide(parsed.pixels.length);
          if (side === undefined) {
            throw new InputError(`${parsed.pixels.length} pixel values do not make a square image`, { ...where, column: pixelsColumn });
          }
        }
        writer.add({ sourceFile, sourceRow: line, rawLabel: cells[labelIndex], label: mapped.label, sensitive, pixels: parsed.pixels });
        await writer.checkpoint({ fraction });
      }
      await writer.finish({
        nClasses: labels.nClasses,
        image: side === undefined ? null : { width: side, height: side, channels: 1 },
        features: null,
        empty: { detail: 'a header but no data rows', file: options.csv },
      });
    } finally {
      csv.close();
    }
  });
}
