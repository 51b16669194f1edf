/**
 * The import wizard's form → the contract's `datasets.import` request (pure, unit-tested). Lists are
 * typed the way the CLI takes them: `cat,dog`; derived values `M,F` (values 0, 1, …) or `0:White,1:Black`.
 */
import type { DatasetFormat, ImportRequest } from '../../../src-shared/contract';

export interface DeriveRow {
  column: string;
  values: string;
  family: string;
}

export interface FamilyRow {
  name: string;
  /** Member columns, comma-separated. */
  columns: string;
}

export interface ImportForm {
  format: DatasetFormat;
  name: string;
  csv: string;
  metadata: string;
  /** IDX: image/label file pairs. */
  pairs: { images: string; labels: string }[];
  idxAttributes: 'brightness' | 'csv';
  fileColumn: string;
  pixelsColumn: string;
  labelColumn: string;
  sensitive: string[];
  derive: DeriveRow[];
  families: FamilyRow[];
  classes: string;
  positiveClasses: string;
  resize: string;
  channels: 'auto' | '1' | '3';
  shuffleSeed: string;
}

export function emptyForm(format: DatasetFormat = 'folder'): ImportForm {
  return {
    format,
    name: '',
    csv: '',
    metadata: '',
    pairs: [{ images: '', labels: '' }],
    idxAttributes: 'brightness',
    fileColumn: 'file',
    pixelsColumn: 'pixels',
    labelColumn: '',
    sensitive: [],
    derive: [],
    families: [],
    classes: '',
    positiveClasses: '',
    resize: '',
    channels: 'auto',
    shuffleSeed: '',
  };
}

export class FormError extends Error {
  override readonly name = 'FormError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function list(raw: string): string[] | undefined {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return items.length === 0 ? undefined : items;
}

function integer(raw: string, field: string, min: number, max: number): number | undefined {
  if (raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new FormError(field, `${field} must be a whole number from ${min} to ${max}`);
  return n;
}

/** `M,F` → values 0, 1; `0:White,1:Black` → as given. */
export function parseDeriveValues(raw: string, column: string): { value: string; name: string }[] {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length < 2) throw new FormError('derive', `name at least two values for '${column}', e.g. M,F or 0:M,1:F`);
  const explicit = items.filter((i) => i.includes(':')).length;
  if (explicit !== 0 && explicit !== items.length) throw new FormError('derive', `'${raw}': give value:name for every item or for none`);
  return items.map((item, i) => {
    if (explicit === 0) return { value: String(i), name: item };
    const [value, name] = item.split(':').map((s) => s.trim());
    if (!value || !name) throw new FormError('derive', `'${item}' is not value:name`);
    return { value, name };
  });
}

function attributeOptions(form: ImportForm): { sensitive?: string[]; derive?: ImportRequestDerive[]; families?: { name: string; columns: string[] }[] } {
  const derive = form.derive
    .filter((d) => d.column !== '')
    .map((d) => ({ column: d.column, values: parseDeriveValues(d.values, d.column), ...(d.family.trim() !== '' ? { family: d.family.trim() } : {}) }));
  const families = parseFamilies(form.families);
  if (form.sensitive.length === 0 && derive.length === 0) throw new FormError('sensitive', 'choose at least one sensitive attribute column, or derive some from a categorical column');
  return {
    ...(form.sensitive.length > 0 ? { sensitive: [...form.sensitive] } : {}),
    ...(derive.length > 0 ? { derive } : {}),
    ...(families.length > 0 ? { families } : {}),
  };
}

function parseFamilies(rows: readonly FamilyRow[]): { name: string; columns: string[] }[] {
  return rows
    .filter((f) => f.name.trim() !== '' || f.columns.trim() !== '')
    .map((f) => {
      const columns = list(f.columns) ?? [];
      if (f.name.trim() === '') throw new FormError('families', 'a family needs a name');
      if (columns.length < 2) throw new FormError('families', `family '${f.name.trim()}' needs at least two columns, e.g. M,F`);
      return { name: f.name.trim(), columns };
    });
}

type ImportRequestDerive = { column: string; values: { value: string; name: string }[]; family?: string };

function labelOptions(form: ImportForm): { labels?: { classes?: string[]; positiveClasses?: string[] } } {
  const classes = list(form.classes);
  const positiveClasses = list(form.positiveClasses);
  if (!classes && !positiveClasses) return {};
  return { labels: { ...(classes ? { classes } : {}), ...(positiveClasses ? { positiveClasses } : {}) } };
}

function required(value: string, field: string, what: string): string {
  if (value.trim() === '') throw new FormError(field, `${what} is required`);
  return value.trim();
}

export function buildImportRequest(form: ImportForm): ImportRequest {
  const name = required(form.name, 'name', 'a dataset name');
  const shuffleSeed = integer(form.shuffleSeed, 'shuffle seed', 0, 0xffffffff);
  const common = { name, ...(shuffleSeed !== undefined ? { shuffleSeed } : {}) };
  switch (form.format) {
    case 'folder': {
      const resize = integer(form.resize, 'resize', 1, 4096);
      return {
        format: 'folder',
        ...common,
        csv: required(form.csv, 'csv', 'the attributes CSV'),
        labelColumn: required(form.labelColumn, 'labelColumn', 'the label column'),
        ...(form.fileColumn.trim() !== '' ? { fileColumn: form.fileColumn.trim() } : {}),
        ...(resize !== undefined ? { resize } : {}),
        ...(form.channels !== 'auto' ? { channels: form.channels === '1' ? 1 : 3 } : {}),
        ...labelOptions(form),
        ...attributeOptions(form),
      };
    }
    case 'pixels':
      return {
        format: 'pixels',
        ...common,
        csv: required(form.csv, 'csv', 'the pixel CSV'),
        labelColumn: required(form.labelColumn, 'labelColumn', 'the label column'),
        ...(form.pixelsColumn.trim() !== '' ? { pixelsColumn: form.pixelsColumn.trim() } : {}),
        ...labelOptions(form),
        ...attributeOptions(form),
      };
    case 'idx': {
      const pairs = form.pairs.filter((p) => p.images.trim() !== '' || p.labels.trim() !== '');
      if (pairs.length === 0) throw new FormError('pairs', 'give an images file and its labels file');
      for (const p of pairs) if (p.images.trim() === '' || p.labels.trim() === '') throw new FormError('pairs', 'every images file needs its labels file');
      return {
        format: 'idx',
        ...common,
        pairs: pairs.map((p) => ({ images: p.images.trim(), labels: p.labels.trim() })),
        attributes: form.idxAttributes === 'brightness' ? { kind: 'brightness' } : { kind: 'csv', csv: required(form.csv, 'csv', 'the attributes CSV'), ...attributeOptions(form) },
        ...labelOptions(form),
      };
    }
    case 'seldonian': {
      const families = parseFamilies(form.families);
      const positiveClasses = list(form.positiveClasses);
      return {
        format: 'seldonian',
        ...common,
        csv: required(form.csv, 'csv', 'the data CSV'),
        metadata: required(form.metadata, 'metadata', 'the metadata JSON'),
        ...(families.length > 0 ? { families } : {}),
        ...(positiveClasses ? { positiveClasses } : {}),
      };
    }
  }
}

/** Columns whose sample values are all 0 or 1: likely one-hot sensitive attributes. */
export function guessOneHotColumns(header: readonly string[], rows: readonly (readonly string[])[], exclude: readonly string[]): string[] {
  return header.filter((column, j) => !exclude.includes(column) && rows.length > 0 && rows.every((r) => r[j] === '0' || r[j] === '1'));
}
