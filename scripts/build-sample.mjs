// Writes the sample workspace's data to resources/sample/ (committed; rerun only to change it): the first
// 2,000 images of Fashion-MNIST's training split with their labels, as gzipped IDX files, from Debian's
// dataset-fashion-mnist. `fairbound sample` imports them with brightness groups and the upper-body label
// (src-main/services/sample.ts reads resources/sample/sample.json) and saves the sample constraint.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const SOURCE = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const OUT = new URL('../resources/sample/', import.meta.url).pathname;
const COUNT = 2000;

function slice(file, headerBytes, itemBytes) {
  const bytes = gunzipSync(readFileSync(join(SOURCE, file)));
  const out = Buffer.from(bytes.subarray(0, headerBytes + COUNT * itemBytes));
  out.writeUInt32BE(COUNT, 4); // the item count follows the magic number
  // mtime 0 in the gzip header (level 9): the same bytes on every run.
  return gzipSync(out, { level: 9 });
}

writeFileSync(join(OUT, 'fashion-mnist-2000-images-idx3-ubyte.gz'), slice('train-images-idx3-ubyte.gz', 16, 28 * 28));
writeFileSync(join(OUT, 'fashion-mnist-2000-labels-idx1-ubyte.gz'), slice('train-labels-idx1-ubyte.gz', 8, 1));
console.log(`wrote ${COUNT} images and labels to ${OUT}`);
