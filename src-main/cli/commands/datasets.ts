import { parseArgs } from 'node:util';
import { InputError } from '../../errors/input-error';
import { openWorkspace, resolveDatabasePath, type WritableDB } from '../../store/database';
import { deleteDataset, findDataset, listDatasets, type DatasetInfo } from '../../store/datasets';
import { listImportJobs } from '../../store/import-jobs';
import { DEFAULT_MIN_GROUP_SIZE, datasetSummary, type DatasetSummary, type GroupCount } from '../../store/summary';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';

export const datasetsHelp = `fairbound datasets [list] [--db <file>] [--json]
fairbound datasets show <id|name> [--min-group-size 5] [--db <file>] [--json]
fairbound datasets delete <id|name> [--db <file>] [--json]
fairbound datasets jobs [--db <file>] [--json]
  Lists the workspace's datasets; shows one's summary (rows and label balance per sensitive column and
  per intersection of two families, warnings for groups under --min-group-size rows, whose bounds would
  be infinite); deletes one with its samples; lists recent import jobs with their outcome.
  The database is --db, else $FAIRBOUND_DB, else the OS app-data folder (~/.local/share/fairbound/fairbound.db).`;

export async function runDatasetsCommand(args: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      'min-group-size': { type: 'string' },
    },
  });
  const [sub = 'list', ...rest] = positionals;
  const minGroupSize = parseMinGroupSize(values['min-group-size']);
  if (minGroupSize !== undefined && sub !== 'show') throw new UsageError('--min-group-size applies to datasets show');
  const expectArgs = (n: number, what: string): void => {
    if (rest.length !== n) throw new UsageError(`datasets ${sub} takes ${what} (got ${rest.length} argument${rest.length === 1 ? '' : 's'})`);
  };
  const db = openWorkspace(resolveDatabasePath(values.db));
  try {
    switch (sub) {
      case 'list': {
        expectArgs(0, 'no arguments');
        const datasets = listDatasets(db);
        out.stdout(values.json ? stringifyJson({ datasets }) : formatList(datasets));
        return 0;
      }
      case 'show': {
        expectArgs(1, 'one dataset id or name');
        const summary = datasetSummary(db, resolveDataset(db, rest[0]).id, { minGroupSize });
        out.stdout(values.json ? stringifyJson(summary) : formatSummary(summary));
        return 0;
      }
      case 'delete': {
        expectArgs(1, 'one dataset id or name');
        const dataset = resolveDataset(db, rest[0]);
        deleteDataset(db, dataset.id);
        out.stdout(
          values.json
            ? stringifyJson({ deleted: { id: dataset.id, name: dataset.name, nRows: dataset.nRows } })
            : `deleted dataset ${dataset.id} '${dataset.name}' (${dataset.nRows} rows)`,
        );
        return 0;
      }
      case 'jobs': {
        expectArgs(0, 'no arguments');
        const jobs = listImportJobs(db);
        if (values.json) out.stdout(stringifyJson({ jobs }));
        else if (jobs.length === 0) out.stdout('no import jobs');
        else {
          out.stdout(
            jobs
              .map((j) => `job ${j.id}  ${j.startedAt}  ${j.format} '${j.datasetName}': ${j.status}${j.error ? ` (${j.error})` : ''}${j.datasetId ? ` → dataset ${j.datasetId}` : ''}`)
              .join('\n'),
          );
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown datasets subcommand '${sub}' (list, show, delete, jobs)`);
    }
  } finally {
    db.close();
  }
}

function parseMinGroupSize(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--min-group-size must be a positive integer, got '${raw}'`);
  return n;
}

export function resolveDataset(db: WritableDB, idOrName: string): DatasetInfo {
  const dataset = findDataset(db, idOrName);
  if (!dataset) throw new InputError(`no dataset with id or name '${idOrName}' (fairbound datasets lists them)`);
  return dataset;
}

export function describeShape(d: DatasetInfo): string {
  if (d.image) return `${d.image.width}×${d.image.height} ${d.image.channels === 1 ? 'grayscale' : 'RGB'} images`;
  if (d.features) return `${d.features.count} ${d.features.dtype} features`;
  return 'no model inputs';
}

function formatList(datasets: readonly DatasetInfo[]): string {
  if (datasets.length === 0) return 'no datasets (fairbound import --help shows how to add one)';
  const rows = datasets.map((d) => [String(d.id), d.name, d.format, String(d.nRows), describeShape(d), String(d.nClasses), d.sensitiveColumns.join(','), d.createdAt]);
  return table(['id', 'name', 'format', 'rows', 'inputs', 'classes', 'sensitive', 'created'], rows, [0, 3, 5]);
}

/** Human-readable summary: what `datasets show` and `import` print. */
export function formatSummary(s: DatasetSummary): string {
  const d = s.dataset;
  const order = d.shuffleSeed === null ? 'file order' : `shuffled with seed ${d.shuffleSeed}`;
  const lines = [
    `dataset ${d.id} '${d.name}': ${d.format} import, ${d.nRows} rows, ${describeShape(d)}, label '${d.labelColumn}' with ${d.nClasses} classes, ${order}`,
  ];
  if (d.labelMapping.classes) lines.push(`classes: ${d.labelMapping.classes.map((c, i) => `${i} = ${c}`).join(', ')}`);
  if (d.labelMapping.positiveClasses) lines.push(`binary labels: 1 = {${d.labelMapping.positiveClasses.join(', ')}}, 0 = the others`);
  lines.push(`labels: ${s.labelCounts.map((n, c) => `${c}: ${n} (${percent(n, d.nRows)})`).join(', ')}`);
  if (d.families.length > 0) lines.push(`families: ${d.families.map((f) => `${f.name} = ${f.columns.join(', ')}`).join('; ')}`);
  const derived = d.attributes.filter((a) => a.derivedFrom !== null);
  if (derived.length > 0) lines.push(`derived: ${derived.map((a) => `${a.name} ⇐ ${a.derivedFrom}`).join('; ')}`);
  const showLabels = d.nClasses <= 10;
  const groupTable = (groups: readonly GroupCount[]): string =>
    table(
      ['group', 'rows', ...(showLabels ? s.labelCounts.map((_, c) => `label ${c}`) : [])],
      groups.map((g) => [g.name, String(g.count), ...(showLabels ? g.labelCounts.map((n) => `${n}`) : [])]),
      [1, ...s.labelCounts.map((_, c) => c + 2)],
    );
  lines.push('', groupTable(s.groups));
  if (s.intersections.length > 0) lines.push('', 'intersections:', groupTable(s.intersections));
  if (s.warnings.length > 0) {
    lines.push('', `warnings (groups under ${s.minGroupSize} rows):`);
    for (const w of s.warnings) lines.push(`  ! ${w.message}`);
  }
  if (s.minGroupSize !== DEFAULT_MIN_GROUP_SIZE && s.warnings.length === 0) lines.push('', `no group under ${s.minGroupSize} rows`);
  return lines.join('\n');
}

function percent(n: number, total: number): string {
  return total === 0 ? '–' : `${((100 * n) / total).toFixed(1)}%`;
}

/** Plain text table; `right` lists the columns aligned right (numbers). */
function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}
