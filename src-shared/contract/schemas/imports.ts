/** The dataset import request: one member per format, mirroring the importers' options. */
import { z } from 'zod';
import { text } from '../wire';
import { attributeFamily } from './datasets';
import { columnName, path } from './fields';

const labelOptions = z.object({
  /** The allowed labels in class-id order; absent: labels are integers ≥ 0. */
  classes: z.array(columnName).min(2).max(65536).optional(),
  /** Binary: these labels → 1, all others → 0. */
  positiveClasses: z.array(columnName).min(1).max(65536).optional(),
});

const derivedAttribute = z.object({
  column: columnName,
  values: z.array(z.object({ value: z.string().max(200), name: columnName })).min(2).max(256),
  family: columnName.optional(),
});

const attributeOptions = {
  /** One-hot 0/1 columns of the CSV. */
  sensitive: z.array(columnName).max(256).optional(),
  /** One-hot columns derived from categorical columns; each forms a family. */
  derive: z.array(derivedAttribute).max(64).optional(),
  /** Columns exactly one of which is 1 in every row. */
  families: z.array(attributeFamily).max(64).optional(),
};

const common = {
  name: text(200),
  shuffleSeed: z.number().int().min(0).max(0xffffffff).optional(),
};

export const importFolder = z.object({
  format: z.literal('folder'),
  ...common,
  ...attributeOptions,
  csv: path,
  fileColumn: columnName.optional(),
  labelColumn: columnName,
  labels: labelOptions.optional(),
  resize: z.number().int().min(1).max(4096).optional(),
  channels: z.union([z.literal(1), z.literal(3)]).optional(),
});

export const importPixels = z.object({
  format: z.literal('pixels'),
  ...common,
  ...attributeOptions,
  csv: path,
  pixelsColumn: columnName.optional(),
  labelColumn: columnName,
  labels: labelOptions.optional(),
});

export const importIdx = z.object({
  format: z.literal('idx'),
  ...common,
  pairs: z.array(z.object({ images: path, labels: path })).min(1).max(16),
  attributes: z.discriminatedUnion('kind', [z.object({ kind: z.literal('csv'), csv: path, ...attributeOptions }), z.object({ kind: z.literal('brightness') })]),
  labels: labelOptions.optional(),
});

export const importSeldonian = z.object({
  format: z.literal('seldonian'),
  ...common,
  csv: path,
  metadata: path,
  families: z.array(attributeFamily).max(64).optional(),
  positiveClasses: z.array(columnName).min(1).max(65536).optional(),
});

export const importRequest = z.discriminatedUnion('format', [importFolder, importPixels, importIdx, importSeldonian]);
export type ImportRequest = z.infer<typeof importRequest>;
