/**
 * audit.examples, the image browser's data: the audit as audit.run computes it, then per sensitive column
 * the rows the model gets wrong (most confident mistakes first) and the rows closest to the decision
 * threshold, each with its true label, decision, probability and a thumbnail from the stored pixels.
 */
import type { AuditExamples } from '../../src-shared/contract/schemas';
import { datasetRowKeys } from '../store/datasets';
import { get, sql } from '../store/sql';
import { appEnvironment, runAudit } from './audit';
import type { Handler } from './context';
import { encodeThumbnail } from './preview';

const DEFAULT_PER_GROUP = 8;
const DEFAULT_SIZE = 56;

interface Scored {
  readonly row: number;
  readonly label: number;
  readonly prediction: number;
  readonly p: number;
  /** How sure the decision is: |p − threshold| for one output, the top probability for several. */
  readonly margin: number;
}

export const auditExamplesHandler: Handler<'audit.examples'> = async (input, ctx) => {
  const { perGroup: asked, size: askedSize, ...auditInput } = input;
  const perGroup = asked ?? DEFAULT_PER_GROUP;
  const size = askedSize ?? DEFAULT_SIZE;
  const computed = await runAudit(auditInput, appEnvironment(ctx));
  const { audited, range, probs, nOutputs, storedIndex } = computed.rows;
  const threshold = input.mode.kind === 'hard' ? input.mode.threshold : 0.5;
  const scored: Scored[] = [];
  for (let row = range.start; row < range.end; row++) {
    let prediction: number, p: number, margin: number;
    if (nOutputs === 1) {
      p = probs[row];
      prediction = p >= threshold ? 1 : 0;
      margin = Math.abs(p - threshold);
    } else {
      prediction = 0;
      for (let k = 1; k < nOutputs; k++) if (probs[row * nOutputs + k] > probs[row * nOutputs + prediction]) prediction = k;
      p = probs[row * nOutputs + prediction];
      margin = p;
    }
    scored.push({ row, label: audited.labels[row], prediction, p, margin });
  }
  const info = computed.info;
  const keys = info.format === 'folder' ? datasetRowKeys(ctx.db, info.id, info.format) : null;
  const thumbnails = new Map<number, Promise<string | null>>();
  const thumbnail = (index: number): Promise<string | null> => {
    let url = thumbnails.get(index);
    if (!url) {
      const pixels = info.image ? get<{ pixels: Uint8Array | null }>(ctx.db, sql`SELECT pixels FROM sample WHERE dataset_id = ${info.id} AND order_index = ${index}`)?.pixels ?? null : null;
      url = pixels && info.image ? encodeThumbnail(pixels, info.image, size) : Promise.resolve(null);
      thumbnails.set(index, url);
    }
    return url;
  };
  const example = async (s: Scored): Promise<AuditExamples['groups'][number]['misclassified'][number]> => {
    const index = storedIndex(s.row);
    return { index, key: keys?.[index] ?? null, label: s.label, prediction: s.prediction, p: s.p, thumbnail: await thumbnail(index) };
  };
  const width = audited.sensitiveColumns.length;
  const groups = await Promise.all(
    audited.sensitiveColumns.map(async (column, c) => {
      const members = scored.filter((s) => audited.sensitive[s.row * width + c] === 1);
      const wrong = members.filter((s) => s.prediction !== s.label).sort((a, b) => b.margin - a.margin);
      const borderline = [...members].sort((a, b) => a.margin - b.margin);
      return {
        group: column,
        n: members.length,
        nMisclassified: wrong.length,
        misclassified: await Promise.all(wrong.slice(0, perGroup).map(example)),
        borderline: await Promise.all(borderline.slice(0, perGroup).map(example)),
      };
    }),
  );
  return { threshold, groups };
};
