/**
 * Format 4: the Seldonian Toolkit's headerless numeric CSV + metadata JSON (tabular data, or latent
 * features computed elsewhere), read with the same reader as the QSA command so the numbers are the
 * ones the Python engine sees. Features are stored as float64 blobs (bit-identical to the file's
 * decimal values as Python parses them); the label and sensitive columns come from the metadata.
 */
import { basename, resolve } from 'node:path';
import type { WritableDB } from '../../store/database';
import type { AttributeFamily } from '../../store/datasets';
import { InputError } from '../../errors/input-error';
import { MAX_CLASS_ID } from '../file-limits';
import { readMetadata, readSeldonianCsvStreaming } from '../seldonian-format';
import { FamilyChecker, planAttributes } from './attributes';
import { pickDefined, runImport, type CommonImportOptions, type ImportContext, type ImportResult } from './session';

export interface SeldonianImportOptions extends CommonImportOptions {
  /** Headerless CSV (`.csv` or `.csv.gz`) in `all_col_names` order. */
  readonly csv: string;
  readonly metadata: string;
  /** Groups of the metadata's sensitive columns that must be one-hot per row. */
  readonly families?: readonly AttributeFamily[];
  /** Map class ids to binary: ids in this set → 1, others → 0. */
  readonly positiveClasses?: readonly string[];
}

export async function importSeldonian(db: WritableDB, options: SeldonianImportOptions, ctx: ImportContext = {}): Promise<ImportResult> {
  const source = {
    csv: resolve(options.csv),
    metadata: resolve(options.metadata),
    ...pickDefined({ families: options.families, positiveClasses: options.positiveClasses, shuffleSeed: options.shuffleSeed }),
  };
  return runImport(db, { format: 'seldonian', common: options, options: source }, ctx, async (writer) => {
    const metadata = readMetadata(options.metadata);
    if (metadata.sensitiveColumns.length === 0) {
      throw new InputError('no sensitive columns: a dataset needs at least one', { file: options.metadata, key: 'sensitive_col_names' });
    }
    const plan = planAttributes(
      metadata.sensitiveColumns.map((name) => ({ name, derivedFrom: null })),
      options.families ?? [],
    );
    const positive = options.positiveClasses ? new Set(options.positiveClasses.map((c) => parseClassId(c))) : undefined;
    const data = await readSeldonianCsvStreaming(options.csv, metadata);
    await writer.checkpoint();
    writer.define({
      labelColumn: metadata.labelColumn,
      labelMapping: positive ? { positiveClasses: [...positive].map(String) } : {},
      attributes: plan,
    });

    const checker = new FamilyChecker(plan);
    const k = data.sensitiveColumns.length;
    const f = data.nFeatures;
    const sourceFile = basename(options.csv);
    for (let r = 0; r < data.nRows; r++) {
      const sensitive = data.sensitive.subarray(r * k, (r + 1) * k);
      checker.check(sensitive, { file: options.csv, row: r + 1 });
      const y = data.labels[r];
      writer.add({
        sourceFile,
        sourceRow: r + 1,
        rawLabel: String(y),
        label: positive ? (positive.has(y) ? 1 : 0) : y,
        sensitive,
        features: data.features.subarray(r * f, (r + 1) * f),
      });
      await writer.checkpoint({ rowsTotal: data.nRows });
    }
    await writer.finish({
      nClasses: positive ? 2 : data.nClasses,
      image: null,
      features: f > 0 ? { count: f, dtype: 'float64', names: data.featureColumns } : null,
    });
  });
}

function parseClassId(raw: string): number {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < 0 || value > MAX_CLASS_ID) {
    throw new InputError(`positive class '${raw}' is not a class id (an integer 0–${MAX_CLASS_ID})`);
  }
  return value;
}
