/**
 * Which workspace (database file) the desktop app opens at start: the one the user last opened, kept in
 * a small JSON file in Electron's userData folder. A plain module (no Electron import; the folder is a
 * parameter) so it is unit-tested with a temporary folder.
 *
 * At start: an explicit `$FAIRBOUND_DB` wins (as for the CLI); else the remembered workspace if its
 * file still exists; else the OS default. A missing, unreadable, corrupt or foreign memory file is never
 * an error: it means "nothing remembered", and the reason is returned for the log.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { DATABASE_ENV, defaultDatabasePath } from '../store/database';

/** The memory file's name inside the userData folder. */
export const WORKSPACE_MEMORY_FILE = 'workspace.json';

/** How many recent workspaces the File → Open recent menu lists. */
export const MAX_RECENT = 8;

const workspacePath = z.string().min(1).max(4096).refine(isAbsolute, 'an absolute path');

const memorySchema = z.object({
  version: z.literal(1),
  /** The workspace opened last. */
  last: workspacePath,
  /** Most recent first, `last` included, without duplicates. */
  recent: z.array(workspacePath).max(64).default([]),
});
export type WorkspaceMemory = z.output<typeof memorySchema>;

export type MemoryRead = { readonly ok: true; readonly memory: WorkspaceMemory } | { readonly ok: false; readonly reason: string };

/** The memory file's contents, validated; never throws. */
export function readWorkspaceMemory(folder: string): MemoryRead {
  const file = join(folder, WORKSPACE_MEMORY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    return { ok: false, reason: code === 'ENOENT' ? 'no workspace remembered yet' : `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: `${file} is not valid JSON; ignored` };
  }
  const parsed = memorySchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `${file} does not hold a remembered workspace (${parsed.error.issues[0]?.message ?? 'invalid'}); ignored` };
  return { ok: true, memory: parsed.data };
}

/** Recent workspaces that still exist, most recent first. */
export function recentWorkspaces(folder: string, exists: (path: string) => boolean = existsSync): string[] {
  const read = readWorkspaceMemory(folder);
  if (!read.ok) return [];
  return [...new Set([read.memory.last, ...read.memory.recent])].filter((p) => exists(p)).slice(0, MAX_RECENT);
}

/**
 * Records `dbPath` as the workspace opened last (and first among the recent ones). Written to a
 * temporary file and renamed, so a crash never leaves half a file. `:memory:` and relative paths are not
 * remembered. Returns false (with nothing thrown) if the folder cannot be written.
 */
export function rememberWorkspace(folder: string, dbPath: string): boolean {
  if (!isAbsolute(dbPath)) return false;
  const read = readWorkspaceMemory(folder);
  const previous = read.ok ? [read.memory.last, ...read.memory.recent] : [];
  const memory: WorkspaceMemory = { version: 1, last: dbPath, recent: [...new Set([dbPath, ...previous])].slice(0, MAX_RECENT) };
  const file = join(folder, WORKSPACE_MEMORY_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(folder, { recursive: true });
    writeFileSync(temporary, `${JSON.stringify(memory, null, 2)}\n`, 'utf8');
    renameSync(temporary, file);
    return true;
  } catch {
    return false;
  }
}

export interface StartupWorkspace {
  readonly path: string;
  readonly source: 'env' | 'remembered' | 'default';
  /** Why the remembered workspace was not used, when one was not (for the log). */
  readonly note?: string;
}

/** The workspace to open at start (see the module comment for the order). */
export function startupWorkspace(
  folder: string,
  options: { readonly env?: NodeJS.ProcessEnv; readonly exists?: (path: string) => boolean; readonly fallback?: string } = {},
): StartupWorkspace {
  const env = options.env ?? process.env;
  const exists = options.exists ?? existsSync;
  const fromEnv = env[DATABASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { path: fromEnv, source: 'env' };
  const fallback = options.fallback ?? defaultDatabasePath(env);
  const read = readWorkspaceMemory(folder);
  if (!read.ok) return { path: fallback, source: 'default', note: read.reason };
  if (!exists(read.memory.last)) return { path: fallback, source: 'default', note: `the last workspace ${read.memory.last} no longer exists` };
  return { path: read.memory.last, source: 'remembered' };
}
