/**
 * Invariant under test: `fairbound import <format>` and `fairbound datasets …`, run in-process through
 * runCli against a temp --db, import each format, print summaries (text and JSON), and map bad input
 * to exit 2 with a message naming file/row/column (and nothing imported), bad usage to exit 2 with help.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../../src-main/cli/commands/import';
import { runCli } from '../../src-main/cli/main';
import { idxImagesBytes, idxLabelsBytes, testPixels, useTempDir, writeCsv, writeFile, writePng } from '../support/images';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/seldonian/', import.meta.url));
const tempDir = useTempDir();

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(args, { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t) });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

const db = (): string => join(tempDir(), 'ws.db');

async function folderFixture(n: number): Promise<string> {
  const rows: (string | number)[][] = [['file', 'gender', 'M', 'F', 'White', 'Black']];
  for (let i = 0; i < n; i++) {
    await writePng(join(tempDir(), 'faces', `${i}.png`), 3, 3, 3, testPixels(3, 3, 3, i));
    rows.push([`faces/${i}.png`, i % 2, i % 2, 1 - (i % 2), i % 3 === 0 ? 1 : 0, i % 3 === 0 ? 0 : 1]);
  }
  return writeCsv(join(tempDir(), 'attrs.csv'), rows);
}

function pixelFixture(rows: (string | number)[][]): string {
  return writeCsv(join(tempDir(), 'age_gender.csv'), [['age', 'ethnicity', 'gender', 'img_name', 'pixels'], ...rows]);
}

describe('fairbound import', () => {
  it('folder: imports, prints the summary with intersections and warnings; datasets lists and shows it', async () => {
    const csv = await folderFixture(12);
    const r = await cli('import', 'folder', '--csv', csv, '--label', 'gender', '--sensitive', 'M,F,White,Black', '--family', 'sex=M,F', '--family', 'race=White,Black', '--name', 'faces', '--db', db(), '--shuffle-seed', '7');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("imported dataset 1 'faces' (import job 1)");
    expect(r.stdout).toContain('12 rows, 3×3 RGB images');
    expect(r.stdout).toContain('shuffled with seed 7');
    expect(r.stdout).toMatch(/M∧White\s+2\s+0\s+2/);
    expect(r.stdout).toContain("! group 'M∧White' has 2 rows (fewer than 5)");

    const list = await cli('datasets', '--db', db(), '--json');
    expect(list.code).toBe(0);
    const { datasets } = JSON.parse(list.stdout) as { datasets: { id: number; name: string; nRows: number; sensitiveColumns: string[] }[] };
    expect(datasets.map((d) => [d.id, d.name, d.nRows, d.sensitiveColumns])).toEqual([[1, 'faces', 12, ['M', 'F', 'White', 'Black']]]);
    expect((await cli('datasets', 'list', '--db', db())).stdout).toMatch(/1\s+faces\s+folder\s+12\s+3×3 RGB images/);

    const show = await cli('datasets', 'show', 'faces', '--db', db(), '--json', '--min-group-size', '2');
    expect(show.code).toBe(0);
    const summary = JSON.parse(show.stdout) as { minGroupSize: number; groups: { name: string; count: number }[]; intersections: { name: string }[]; warnings: unknown[] };
    expect(summary.minGroupSize).toBe(2);
    expect(summary.groups.map((g) => [g.name, g.count])).toEqual([['M', 6], ['F', 6], ['White', 4], ['Black', 8]]);
    expect(summary.intersections.map((g) => g.name)).toEqual(['M∧White', 'M∧Black', 'F∧White', 'F∧Black']);
  });

  it('pixels: derives gender and ethnicity families; --json prints the job and the summary', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => [30, i % 3, i % 2, `${i}.jpg`, '0 64 128 255']);
    const csv = pixelFixture(rows);
    const r = await cli('import', 'pixels', '--csv', csv, '--label', 'gender', '--derive', 'gender=M,F', '--derive', 'ethnicity=0:White,1:Black,2:Asian', '--name', 'utk', '--db', db(), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { jobId: number; summary: { dataset: { image: unknown; families: unknown }; labelCounts: number[] } };
    expect(out.jobId).toBe(1);
    expect(out.summary.dataset.image).toEqual({ width: 2, height: 2, channels: 1 });
    expect(out.summary.dataset.families).toEqual([
      { name: 'gender', columns: ['M', 'F'] },
      { name: 'ethnicity', columns: ['White', 'Black', 'Asian'] },
    ]);
    expect(out.summary.labelCounts).toEqual([5, 5]);
  });

  it('idx: several pairs, brightness, binary classes', async () => {
    const pair = (stem: string, n: number, gzip: boolean): string[] => [
      '--images',
      writeFile(join(tempDir(), `${stem}-images`), idxImagesBytes(Array.from({ length: n }, (_, i) => new Uint8Array(4).fill(i * 20)), 2, 2), { gzip }),
      '--labels',
      writeFile(join(tempDir(), `${stem}-labels`), idxLabelsBytes(Array.from({ length: n }, (_, i) => i % 10)), { gzip }),
    ];
    const r = await cli('import', 'idx', ...pair('a', 6, true), ...pair('b', 4, false), '--brightness', '--binary-classes', '0,2,4,6', '--name', 'fm', '--db', db());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('10 rows, 2×2 grayscale images');
    expect(r.stdout).toContain('binary labels: 1 = {0, 2, 4, 6}, 0 = the others');
    // Means 0, 20, …, 100 and 0, 20, 40, 60: the median is 40, so the four images below it are dark.
    expect(r.stdout).toMatch(/dark\s+4\s/);
    expect(r.stdout).toMatch(/light\s+6\s/);
  });

  it('seldonian: the fixture CSV + metadata', async () => {
    const r = await cli('import', 'seldonian', '--csv', join(FIXTURES, 'small_s0/data.csv'), '--metadata', join(FIXTURES, 'small_s0/metadata.json'), '--family', 'sex=M,F', '--name', 'tab', '--db', db());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2000 rows, 16 float64 features');
  });

  it('FAIRBOUND_DB is used when --db is absent', async () => {
    const csv = pixelFixture([[1, 0, 0, 'a', '1 2 3 4'], [2, 1, 1, 'b', '1 2 3 4']]);
    const saved = process.env.FAIRBOUND_DB;
    process.env.FAIRBOUND_DB = join(tempDir(), 'env.db');
    try {
      expect((await cli('import', 'pixels', '--csv', csv, '--label', 'gender', '--derive', 'gender=M,F', '--name', 'e')).code).toBe(0);
      expect(JSON.parse((await cli('datasets', '--json')).stdout).datasets).toHaveLength(1);
      expect(JSON.parse((await cli('datasets', '--json', '--db', db())).stdout).datasets).toHaveLength(0);
    } finally {
      if (saved === undefined) delete process.env.FAIRBOUND_DB;
      else process.env.FAIRBOUND_DB = saved;
    }
  });
});

describe('bad input and usage', () => {
  it('bad input: exit 2, the message names file/row/column, nothing is imported, the job says failed', async () => {
    const csv = pixelFixture([[1, 0, 0, 'a', '1 2 3 4'], [2, 1, 1, 'b', '1 2 3']]);
    const r = await cli('import', 'pixels', '--csv', csv, '--label', 'gender', '--derive', 'gender=M,F', '--name', 'x', '--db', db());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: ${csv} row 3, column 'pixels': expected 4 pixel values (2×2), got 3`);
    expect(JSON.parse((await cli('datasets', '--db', db(), '--json')).stdout).datasets).toEqual([]);
    const jobs = await cli('datasets', 'jobs', '--db', db());
    expect(jobs.stdout).toContain("pixels 'x': failed (");
  });

  it('unknown columns in the mapping: exit 2 naming the column', async () => {
    const csv = await folderFixture(2);
    const r = await cli('import', 'folder', '--csv', csv, '--label', 'sex', '--sensitive', 'M,F', '--name', 'x', '--db', db());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${csv} row 1, column 'sex': no label column 'sex' in the header (columns: file, gender, M, F, White, Black)`);
  });

  it('usage errors: exit 2 with the help', async () => {
    const cases: [string[], RegExp][] = [
      [['import'], /import needs a format/],
      [['import', 'zip', '--name', 'x'], /unknown import format 'zip'/],
      [['import', 'pixels', '--csv', 'a.csv', '--label', 'y'], /--name is required/],
      [['import', 'idx', '--images', 'a', '--name', 'x', '--brightness'], /give one --labels per --images/],
      [['import', 'idx', '--images', 'a', '--labels', 'b', '--name', 'x'], /exactly one of --brightness and --attributes/],
      [['import', 'pixels', '--csv', 'a.csv', '--label', 'y', '--name', 'x', '--resize', '4'], /Unknown option '--resize'/],
      [['import', 'folder', '--csv', 'a.csv', '--label', 'y', '--name', 'x', '--family', 'sexMF'], /--family expects name=A,B/],
      [['import', 'folder', '--csv', 'a.csv', '--label', 'y', '--name', 'x', '--shuffle-seed=-3'], /--shuffle-seed must be an integer 0–4294967295/],
      [['import', 'pixels', '--csv', 'a.csv', '--label', 'y', '--name', 'x', '--derive', 'g=0:M,F'], /value:name for every item or for none/],
      [['datasets', 'show'], /datasets show takes one dataset id or name/],
      [['datasets', 'frobnicate'], /unknown datasets subcommand/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args, '--db', db());
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('datasets show/delete of an unknown dataset: exit 2; delete removes a dataset', async () => {
    expect(await cli('datasets', 'show', 'nope', '--db', db())).toMatchObject({ code: 2, stderr: "error: no dataset with id or name 'nope' (fairbound datasets lists them)" });
    const csv = pixelFixture([[1, 0, 0, 'a', '1 2 3 4']]);
    expect((await cli('import', 'pixels', '--csv', csv, '--label', 'gender', '--derive', 'gender=M,F', '--name', 'gone', '--db', db())).code).toBe(0);
    expect(await cli('datasets', 'delete', 'gone', '--db', db())).toMatchObject({ code: 0, stdout: "deleted dataset 1 'gone' (1 rows)" });
    expect((await cli('datasets', 'delete', '1', '--db', db())).code).toBe(2);
    expect((await cli('datasets', '--db', db())).stdout).toMatch(/^no datasets/);
  });
});

describe('progress on stderr', () => {
  it('prints at most one line a second, from the first second on, and nothing with --quiet', () => {
    let now = 1000;
    const lines: string[] = [];
    const out = { stdout: () => undefined, stderr: (t: string) => lines.push(t) };
    const report = progressPrinter(out, 'fm', false, () => now);
    report({ phase: 'reading', rowsDone: 64, rowsTotal: 1000, fraction: 0.064 });
    now += 999;
    report({ phase: 'reading', rowsDone: 128, rowsTotal: 1000, fraction: 0.128 });
    now += 1;
    report({ phase: 'reading', rowsDone: 192, rowsTotal: 1000, fraction: 0.192 });
    now += 500;
    report({ phase: 'reading', rowsDone: 256, rowsTotal: 1000, fraction: 0.256 });
    now += 2000;
    report({ phase: 'committing', rowsDone: 1000, rowsTotal: 1000, fraction: 1 });
    expect(lines).toEqual(["importing 'fm': 192/1000 rows (19%), 1 s", "importing 'fm': 1000/1000 rows (100%) [committing], 4 s"]);
    const quiet: string[] = [];
    const silent = progressPrinter({ stdout: () => undefined, stderr: (t) => quiet.push(t) }, 'fm', true, () => (now += 5000));
    silent({ phase: 'reading', rowsDone: 1 });
    expect(quiet).toEqual([]);
  });
});
