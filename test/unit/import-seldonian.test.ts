/**
 * Invariant under test: the Seldonian-format importer stores exactly the numbers readSeldonianCsv
 * reads (float64 feature blobs, bit for bit), with the metadata's label and sensitive columns, and the
 * loaded dataset is the same LabelledRows the QSA command builds from the files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importSeldonian } from '../../src-main/data/importers';
import { readMetadata, readSeldonianCsv } from '../../src-main/data/seldonian-format';
import type { LabelledRows } from '../../src-main/engine/data';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { listImportJobs } from '../../src-main/store/import-jobs';
import { inputErrorOf, tableCounts, useTempDir } from '../support/images';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/seldonian/', import.meta.url));
const tempDir = useTempDir();
let db: WritableDB;
beforeEach(() => {
  db = openWorkspace(join(tempDir(), 'ws.db'));
});
afterEach(() => db.close());

function writeCase(rows: string[], sensitive = ['M', 'F']): { csv: string; metadata: string } {
  const metadata = join(tempDir(), 'metadata.json');
  writeFileSync(
    metadata,
    JSON.stringify({ regime: 'supervised_learning', sub_regime: 'classification', all_col_names: ['x1', 'x2', 'M', 'F', 'label'], label_col_names: ['label'], sensitive_col_names: sensitive }),
  );
  const csv = join(tempDir(), 'data.csv');
  writeFileSync(csv, rows.join('\n') + '\n');
  return { csv, metadata };
}

describe('importSeldonian', () => {
  it('stores the fixture small_s0 exactly as readSeldonianCsv reads it (float64 features)', async () => {
    const csv = join(FIXTURES, 'small_s0/data.csv');
    const metadata = join(FIXTURES, 'small_s0/metadata.json');
    const { dataset } = await importSeldonian(db, { name: 'small', csv, metadata, families: [{ name: 'sex', columns: ['M', 'F'] }] });
    expect(dataset).toMatchObject({ nRows: 2000, nClasses: 2, labelColumn: 'label', features: { count: 16, dtype: 'float64' }, image: null });
    const expected = readSeldonianCsv(csv, readMetadata(metadata));
    const loaded = loadDatasetForTraining(db, dataset.id);
    const rows: LabelledRows = loaded; // the loaded object is what the engine consumes
    expect(rows.nRows).toBe(2000);
    expect(loaded.features).toBeInstanceOf(Float64Array);
    expect(loaded.features).toEqual(expected.features);
    expect(loaded.labels).toEqual(expected.labels);
    expect(loaded.sensitive).toEqual(expected.sensitive);
    expect(loaded.featureColumns).toEqual(expected.featureColumns);
  });

  it('keeps a multiclass label (mc3 fixture) or maps it to binary', async () => {
    const csv = join(FIXTURES, 'mc3_s1/data.csv');
    const metadata = join(FIXTURES, 'mc3_s1/metadata.json');
    const multi = await importSeldonian(db, { name: 'mc', csv, metadata });
    expect(multi.dataset.nClasses).toBe(3);
    const binary = await importSeldonian(db, { name: 'mc-bin', csv, metadata, positiveClasses: ['2'] });
    expect(binary.dataset.nClasses).toBe(2);
    const a = loadDatasetForTraining(db, multi.dataset.id).labels;
    const b = loadDatasetForTraining(db, binary.dataset.id).labels;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBe(a[i] === 2 ? 1 : 0);
  });

  it('refuses a row that is not one-hot in a declared family, naming the line', async () => {
    const { csv, metadata } = writeCase(['0.5,1,1,0,1', '0.25,2,0,1,0', '1e-3,3,1,1,0']);
    const err = await inputErrorOf(importSeldonian(db, { name: 's', csv, metadata, families: [{ name: 'sex', columns: ['M', 'F'] }] }));
    expect(err.message).toBe(`${csv} row 3: family 'sex' is not one-hot: exactly one of M, F must be 1, got M=1, F=1`);
    expect(tableCounts(db)).toEqual({ dataset: 0, sample: 0, attribute: 0, attribute_family: 0 });
    expect(listImportJobs(db)[0]).toMatchObject({ status: 'failed', errorLocation: { file: csv, row: 3 } });
  });

  it("passes on the reader's errors (file, line, column)", async () => {
    const { csv, metadata } = writeCase(['0.5,1,1,0,1', '0.25,,0,1,0']);
    expect(await inputErrorOf(importSeldonian(db, { name: 's', csv, metadata }))).toMatchObject({ file: csv, row: 2, column: 'x2', detail: 'empty cell' });
    const noSensitive = writeCase(['0.5,1,1,0,1'], []);
    expect(await inputErrorOf(importSeldonian(db, { name: 's', ...noSensitive }))).toMatchObject({ key: 'sensitive_col_names' });
  });
});
