/**
 * Thumbnails per sensitive group: the first few rows (in stored order) of each group, from the pixels
 * stored at import, encoded as PNG data URLs by sharp. Small images (28×28 MNIST) are scaled up without
 * smoothing so the pixels stay visible.
 */
import type { DatasetPreview } from '../../src-shared/contract/schemas';
import type { ReadableDB } from '../store/database';
import { iterateLabelsAndSensitive } from '../store/datasets';
import { get, sql } from '../store/sql';
import type { Handler } from './context';
import { requireDataset } from './datasets';

const DEFAULT_PER_GROUP = 4;
const DEFAULT_SIZE = 64;

/** The pixels blob of the row at `orderIndex` (the sample table's (dataset_id, order_index) index). */
function pixelsAt(db: ReadableDB, datasetId: number, orderIndex: number): Uint8Array | null {
  return get<{ pixels: Uint8Array | null }>(db, sql`SELECT pixels FROM sample WHERE dataset_id = ${datasetId} AND order_index = ${orderIndex}`)?.pixels ?? null;
}

export async function encodeThumbnail(pixels: Uint8Array, image: { width: number; height: number; channels: 1 | 3 }, size: number): Promise<string> {
  const scale = size / Math.max(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  // Loaded on first use, so commands that never draw a thumbnail never load libvips.
  const { default: sharp } = await import('sharp');
  let pipeline = sharp(pixels, { raw: { width: image.width, height: image.height, channels: image.channels } });
  if (width !== image.width || height !== image.height) pipeline = pipeline.resize(width, height, { kernel: scale > 1 ? 'nearest' : 'lanczos3', fit: 'fill' });
  if (image.channels === 1) pipeline = pipeline.toColourspace('b-w');
  const png = await pipeline.png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

export const datasetPreviewHandler: Handler<'datasets.preview'> = async (input, ctx) => {
  const dataset = requireDataset(ctx, input.datasetId);
  const perGroup = input.perGroup ?? DEFAULT_PER_GROUP;
  const size = input.size ?? DEFAULT_SIZE;
  const k = dataset.sensitiveColumns.length;
  const picked = dataset.sensitiveColumns.map(() => [] as { row: number; label: number }[]);
  const counts = new Array<number>(k).fill(0);
  let row = 0;
  for (const { label, sensitive } of iterateLabelsAndSensitive(ctx.db, dataset.id)) {
    for (let c = 0; c < k; c++) {
      if (sensitive[c] !== 1) continue;
      counts[c]++;
      if (picked[c].length < perGroup) picked[c].push({ row, label });
    }
    row++;
  }
  const image = dataset.image;
  const encoded = new Map<number, Promise<string>>();
  const thumbnail = (r: number): Promise<string> | undefined => {
    if (!image) return undefined;
    let url = encoded.get(r);
    if (!url) {
      const pixels = pixelsAt(ctx.db, dataset.id, r);
      if (!pixels) return undefined;
      url = encodeThumbnail(pixels, image, size);
      encoded.set(r, url);
    }
    return url;
  };
  const groups: DatasetPreview['groups'] = [];
  for (let c = 0; c < k; c++) {
    const thumbnails: DatasetPreview['groups'][number]['thumbnails'] = [];
    for (const p of picked[c]) {
      const url = thumbnail(p.row);
      if (url) thumbnails.push({ row: p.row, label: p.label, dataUrl: await url });
    }
    groups.push({ group: dataset.sensitiveColumns[c], count: counts[c], thumbnails });
  }
  return { groups };
};
