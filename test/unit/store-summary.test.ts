/**
 * Invariant under test: a dataset's summary counts rows and labels per sensitive column and per
 * intersection of two declared families, and warns exactly about the groups (and group × label
 * cells) under the minimum size, where bounds would be infinite.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importPixelCsv } from '../../src-main/data/importers';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { deleteDataset, findDataset, listDatasets } from '../../src-main/store/datasets';
import { listImportJobs } from '../../src-main/store/import-jobs';
import { datasetSummary } from '../../src-main/store/summary';
import { tableCounts, useTempDir, writeCsv } from '../support/images';

const tempDir = useTempDir();
let db: WritableDB;
beforeEach(() => {
  db = openWorkspace(join(tempDir(), 'ws.db'));
});
afterEach(() => db.close());

/** (label, gender 0=M 1=F, race 0=White 1=Black) blocks: M∧White 6, M∧Black 2, F∧White 5, F∧Black 7. */
const BLOCKS: [number[], number, number][] = [
  [[0, 0, 0, 1, 1, 1], 0, 0],
  [[0, 1], 0, 1],
  [[1, 1, 1, 1, 1], 1, 0],
  [[0, 0, 0, 1, 1, 1, 1], 1, 1],
];

async function importBlocks(name = 'faces'): Promise<number> {
  const rows: (string | number)[][] = [['label', 'gender', 'race', 'pixels']];
  for (const [labels, gender, race] of BLOCKS) for (const y of labels) rows.push([y, gender, race, '0 0 0 0']);
  const csv = writeCsv(join(tempDir(), `${name}.csv`), rows);
  const { dataset } = await importPixelCsv(db, {
    name,
    csv,
    labelColumn: 'label',
    derive: [
      { column: 'gender', values: [{ value: '0', name: 'M' }, { value: '1', name: 'F' }], family: 'sex' },
      { column: 'race', values: [{ value: '0', name: 'White' }, { value: '1', name: 'Black' }] },
    ],
  });
  return dataset.id;
}

describe('datasetSummary', () => {
  it('counts rows and labels per column and per intersection of the two families', async () => {
    const s = datasetSummary(db, await importBlocks());
    expect(s.labelCounts).toEqual([7, 13]);
    expect(s.groups.map((g) => [g.name, g.count, g.labelCounts])).toEqual([
      ['M', 8, [4, 4]],
      ['F', 12, [3, 9]],
      ['White', 11, [3, 8]],
      ['Black', 9, [4, 5]],
    ]);
    expect(s.intersections.map((g) => [g.name, g.families, g.count, g.labelCounts])).toEqual([
      ['M∧White', ['sex', 'race'], 6, [3, 3]],
      ['M∧Black', ['sex', 'race'], 2, [1, 1]],
      ['F∧White', ['sex', 'race'], 5, [0, 5]],
      ['F∧Black', ['sex', 'race'], 7, [3, 4]],
    ]);
  });

  it('warns about groups under 5 rows, and group × label cells under 5 in larger groups', async () => {
    const s = datasetSummary(db, await importBlocks());
    expect(s.minGroupSize).toBe(5);
    expect(s.warnings.filter((w) => w.kind === 'small-group').map((w) => [w.group, w.count])).toEqual([['M∧Black', 2]]);
    expect(s.warnings.find((w) => w.group === 'M∧Black')!.message).toBe(
      "group 'M∧Black' has 2 rows (fewer than 5): bounds on it are infinite, so a constraint on it ends in No Solution Found",
    );
    expect(s.warnings.filter((w) => w.kind === 'small-label-group').map((w) => `${w.group}:${w.label}=${w.count}`)).toEqual([
      'M:0=4',
      'M:1=4',
      'F:0=3',
      'White:0=3',
      'Black:0=4',
      'M∧White:0=3',
      'M∧White:1=3',
      'F∧White:0=0',
      'F∧Black:0=3',
      'F∧Black:1=4',
    ]);
  });

  it('takes a configurable minimum', async () => {
    const id = await importBlocks();
    expect(datasetSummary(db, id, { minGroupSize: 2 }).warnings.map((w) => `${w.group}:${w.label}=${w.count}`)).toEqual([
      'M∧Black:0=1',
      'M∧Black:1=1',
      'F∧White:0=0',
    ]);
    expect(datasetSummary(db, id, { minGroupSize: 8 }).warnings.filter((w) => w.kind === 'small-group').map((w) => w.group)).toEqual([
      'M∧White',
      'M∧Black',
      'F∧White',
      'F∧Black',
    ]);
    expect(() => datasetSummary(db, id, { minGroupSize: 0 })).toThrow(/positive integer/);
  });
});

describe('finding and deleting datasets', () => {
  it('finds by id or name, deletes with all rows, keeps the job history', async () => {
    const a = await importBlocks('a');
    const b = await importBlocks('1');
    expect(findDataset(db, 'a')?.id).toBe(a);
    expect(findDataset(db, a)?.id).toBe(a);
    expect(findDataset(db, '1')?.id).toBe(a); // digits are tried as an id first…
    expect(findDataset(db, '99')).toBeUndefined();
    expect(deleteDataset(db, a)).toBe(true);
    expect(findDataset(db, '1')?.id).toBe(b); // …then as a name
    expect(deleteDataset(db, b)).toBe(true);
    expect(deleteDataset(db, a)).toBe(false);
    expect(listDatasets(db)).toEqual([]);
    expect(tableCounts(db)).toEqual({ dataset: 0, sample: 0, attribute: 0, attribute_family: 0 });
    expect(listImportJobs(db).map((j) => [j.status, j.datasetId])).toEqual([
      ['succeeded', null],
      ['succeeded', null],
    ]);
  });
});
