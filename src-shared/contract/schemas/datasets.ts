/** Stored datasets, their group summary and their preview thumbnails. */
import { z } from 'zod';
import { count, id, text } from '../wire';

export const datasetFormat = z.enum(['folder', 'pixels', 'idx', 'seldonian']);
export type DatasetFormat = z.infer<typeof datasetFormat>;

export const attributeFamily = z.object({ name: text(200), columns: z.array(text(200)).min(2).max(256) });

export const datasetInfo = z.object({
  id,
  name: z.string(),
  format: datasetFormat,
  /** The files and options of the import, as given. */
  source: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  nRows: count,
  labelColumn: z.string(),
  nClasses: count,
  labelMapping: z.object({ classes: z.array(z.string()).optional(), positiveClasses: z.array(z.string()).optional() }),
  shuffleSeed: z.number().int().nullable(),
  image: z.object({ width: count, height: count, channels: z.union([z.literal(1), z.literal(3)]) }).nullable(),
  features: z.object({ count, dtype: z.enum(['float32', 'float64']), names: z.array(z.string()) }).nullable(),
  sensitiveColumns: z.array(z.string()),
  attributes: z.array(z.object({ position: count, name: z.string(), family: z.string().nullable(), derivedFrom: z.string().nullable() })),
  families: z.array(z.object({ name: z.string(), columns: z.array(z.string()) })),
});
export type DatasetInfo = z.infer<typeof datasetInfo>;

const groupCount = z.object({
  /** `M`, or `M∧White` for an intersection. */
  name: z.string(),
  columns: z.array(z.string()),
  count,
  labelCounts: z.array(count),
});

export const datasetSummary = z.object({
  dataset: datasetInfo,
  minGroupSize: count,
  labelCounts: z.array(count),
  groups: z.array(groupCount),
  intersections: z.array(groupCount.extend({ families: z.tuple([z.string(), z.string()]) })),
  warnings: z.array(
    z.object({
      kind: z.enum(['small-group', 'small-label-group']),
      group: z.string(),
      count,
      label: count.optional(),
      message: z.string(),
    }),
  ),
});
export type DatasetSummary = z.infer<typeof datasetSummary>;

export const datasetRef = z.object({ datasetId: id });

export const summaryInput = datasetRef.extend({ minGroupSize: z.number().int().min(1).max(1_000_000).optional() });

export const previewInput = datasetRef.extend({
  /** Thumbnails per group (default 4). */
  perGroup: z.number().int().min(1).max(16).optional(),
  /** Longest side of a thumbnail in pixels (default 64; small images are scaled up without smoothing). */
  size: z.number().int().min(16).max(256).optional(),
});

export const datasetPreview = z.object({
  groups: z.array(
    z.object({
      /** A sensitive column. */
      group: z.string(),
      count,
      thumbnails: z.array(z.object({ row: count, label: count, dataUrl: z.string().startsWith('data:image/png;base64,') })),
    }),
  ),
});
export type DatasetPreview = z.infer<typeof datasetPreview>;
