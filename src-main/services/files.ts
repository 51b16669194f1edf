/**
 * The server-side file browser of browser mode (a page cannot open a native dialog on the machine that
 * runs main) and a CSV peek for the import wizard's column mapping. Paths are the machine's own; the
 * bridge that serves them listens on 127.0.0.1 only, behind its token.
 */
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { FilesList } from '../../src-shared/contract/schemas';
import { openHeaderedCsv } from '../data/csv-records';
import { InputError } from '../errors/input-error';
import type { Handler } from './context';

/** Entries returned at most (a folder of 70,000 images is not browsed entry by entry). */
export const MAX_ENTRIES = 2000;

function osProblem(err: unknown): string {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  if (code === 'ENOENT') return 'folder not found';
  if (code === 'ENOTDIR') return 'not a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

export async function listFolder(
  input: { path?: string; extensions?: readonly string[]; showHidden?: boolean },
  home: string = homedir(),
): Promise<FilesList> {
  const folder = input.path === undefined ? home : isAbsolute(input.path) ? resolve(input.path) : resolve(home, input.path);
  let dirents;
  try {
    dirents = await readdir(folder, { withFileTypes: true });
  } catch (err) {
    throw new InputError(osProblem(err), { file: folder }, { cause: err });
  }
  const extensions = (input.extensions ?? []).map((e) => e.toLowerCase());
  const entries: FilesList['entries'] = [];
  for (const d of dirents) {
    if (!input.showHidden && d.name.startsWith('.')) continue;
    const path = join(folder, d.name);
    let kind: 'directory' | 'file' | undefined;
    let size: number | null = null;
    if (d.isDirectory()) kind = 'directory';
    else if (d.isFile()) kind = 'file';
    else if (d.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      kind = target?.isDirectory() ? 'directory' : target?.isFile() ? 'file' : undefined;
    }
    if (kind === undefined) continue;
    if (kind === 'file') {
      const lower = d.name.toLowerCase();
      if (extensions.length > 0 && !extensions.some((e) => lower.endsWith(e))) continue;
      size = (await stat(path).catch(() => undefined))?.size ?? null;
    }
    entries.push({ name: d.name, path, kind, size });
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name, undefined, { numeric: true }) : a.kind === 'directory' ? -1 : 1));
  const parent = dirname(folder);
  return { path: folder, parent: parent === folder ? null : parent, entries: entries.slice(0, MAX_ENTRIES), truncated: entries.length > MAX_ENTRIES };
}

export const filesListHandler: Handler<'files.list'> = (input) => listFolder(input);

/** Characters of a cell the peek returns (a pixel string is cut): the wizard shows cells, it does not parse them. */
export const PEEK_CELL_CHARS = 1000;

/**
 * The header and the first rows of a CSV. It runs in the app's main process, so the reader's limits
 * matter here most: only regular files are opened, a record over the CSV record limit (a file without
 * line breaks) is an InputError, and long cells come back cut to `PEEK_CELL_CHARS`.
 */
export const peekCsvHandler: Handler<'files.peekCsv'> = async (input) => {
  const csv = await openHeaderedCsv(input.path);
  try {
    const rows: string[][] = [];
    const wanted = input.rows ?? 5;
    if (wanted > 0) {
      for await (const record of csv.records) {
        rows.push(record.cells.map((cell) => (cell.length > PEEK_CELL_CHARS ? `${cell.slice(0, PEEK_CELL_CHARS - 1)}…` : cell)));
        if (rows.length >= wanted) break;
      }
    }
    return { path: csv.path, header: [...csv.header], rows };
  } finally {
    csv.close();
  }
};
