/**
 * Invariant under test: the desktop app reopens the workspace the user last opened — remembered in a
 * small JSON file in a given folder (Electron's userData), validated on read — and falls back to the
 * default whenever the file is missing, unreadable, corrupt, of another shape, or names a workspace that
 * no longer exists; $FAIRBOUND_DB still wins. Writes are atomic (no temporary file left), keep a short
 * recent list without duplicates, and never throw. A fresh temporary folder per test.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_RECENT,
  readWorkspaceMemory,
  recentWorkspaces,
  rememberWorkspace,
  startupWorkspace,
  WORKSPACE_MEMORY_FILE,
} from '../../src-main/shell/workspace-memory';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-shell-memory-');
const FALLBACK = '/default/fairbound.db';

/** A folder with workspace files a.db, b.db, … that exist. */
function setup(...names: string[]): { folder: string; paths: string[] } {
  const dir = tempDir();
  const folder = join(dir, 'userData');
  const paths = names.map((n) => {
    const p = join(dir, n);
    writeFileSync(p, '');
    return p;
  });
  return { folder, paths };
}

describe('startupWorkspace', () => {
  it('opens the default when nothing is remembered yet (no folder, no file)', () => {
    const { folder } = setup();
    expect(startupWorkspace(folder, { env: {}, fallback: FALLBACK })).toEqual({ path: FALLBACK, source: 'default', note: 'no workspace remembered yet' });
  });

  it('reopens the workspace remembered last', () => {
    const { folder, paths } = setup('a.db', 'b.db');
    expect(rememberWorkspace(folder, paths[0])).toBe(true);
    expect(rememberWorkspace(folder, paths[1])).toBe(true);
    expect(startupWorkspace(folder, { env: {}, fallback: FALLBACK })).toEqual({ path: paths[1], source: 'remembered' });
  });

  it('lets $FAIRBOUND_DB win over the remembered workspace', () => {
    const { folder, paths } = setup('a.db');
    rememberWorkspace(folder, paths[0]);
    expect(startupWorkspace(folder, { env: { FAIRBOUND_DB: '/x/y.db' }, fallback: FALLBACK })).toEqual({ path: '/x/y.db', source: 'env' });
  });

  it('falls back to the default when the remembered workspace no longer exists', () => {
    const { folder, paths } = setup('a.db');
    rememberWorkspace(folder, paths[0]);
    const choice = startupWorkspace(folder, { env: {}, fallback: FALLBACK, exists: () => false });
    expect(choice).toMatchObject({ path: FALLBACK, source: 'default' });
    expect(choice.note).toContain('no longer exists');
  });

  it.each([
    ['not JSON', '{"version": 1, "last": '],
    ['another shape', JSON.stringify({ version: 2, last: '/a.db' })],
    ['a relative path', JSON.stringify({ version: 1, last: 'a.db' })],
    ['a wrong type', JSON.stringify({ version: 1, last: 42 })],
    ['null', 'null'],
  ])('falls back to the default when the file holds %s', (_what, text) => {
    const { folder } = setup();
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, WORKSPACE_MEMORY_FILE), text);
    const choice = startupWorkspace(folder, { env: {}, fallback: FALLBACK, exists: () => true });
    expect(choice).toMatchObject({ path: FALLBACK, source: 'default' });
    expect(choice.note).toMatch(/ignored$/);
    expect(readWorkspaceMemory(folder).ok).toBe(false);
  });

  it('falls back to the default when the memory file cannot be read (a folder in its place)', () => {
    const { folder } = setup();
    mkdirSync(join(folder, WORKSPACE_MEMORY_FILE), { recursive: true });
    expect(startupWorkspace(folder, { env: {}, fallback: FALLBACK })).toMatchObject({ path: FALLBACK, source: 'default', note: expect.stringContaining('cannot read') });
  });
});

describe('rememberWorkspace', () => {
  it('writes a valid file atomically, creating the folder, with the recent list deduplicated and capped', () => {
    const names = Array.from({ length: MAX_RECENT + 3 }, (_, i) => `w${i}.db`);
    const { folder, paths } = setup(...names);
    for (const p of paths) expect(rememberWorkspace(folder, p)).toBe(true);
    expect(rememberWorkspace(folder, paths[2])).toBe(true);
    expect(readdirSync(folder)).toEqual([WORKSPACE_MEMORY_FILE]);
    const memory = JSON.parse(readFileSync(join(folder, WORKSPACE_MEMORY_FILE), 'utf8')) as { version: number; last: string; recent: string[] };
    expect(memory.version).toBe(1);
    expect(memory.last).toBe(paths[2]);
    expect(memory.recent).toHaveLength(MAX_RECENT);
    expect(memory.recent[0]).toBe(paths[2]);
    expect(memory.recent[1]).toBe(paths.at(-1));
    expect(new Set(memory.recent).size).toBe(MAX_RECENT);
  });

  it('does not remember :memory: or relative paths, and replaces a corrupt file', () => {
    const { folder, paths } = setup('a.db');
    expect(rememberWorkspace(folder, ':memory:')).toBe(false);
    expect(rememberWorkspace(folder, 'rel.db')).toBe(false);
    expect(existsSync(folder)).toBe(false);
    mkdirSync(folder);
    writeFileSync(join(folder, WORKSPACE_MEMORY_FILE), 'garbage');
    expect(rememberWorkspace(folder, paths[0])).toBe(true);
    expect(readWorkspaceMemory(folder)).toEqual({ ok: true, memory: { version: 1, last: paths[0], recent: [paths[0]] } });
  });

  it('returns false instead of throwing when the folder cannot be written', () => {
    const { paths } = setup('a.db');
    // A file where the folder should be.
    expect(rememberWorkspace(paths[0], '/some/where.db')).toBe(false);
  });
});

describe('recentWorkspaces', () => {
  it('lists the remembered workspaces that still exist, most recent first', () => {
    const { folder, paths } = setup('a.db', 'b.db', 'c.db');
    for (const p of paths) rememberWorkspace(folder, p);
    expect(recentWorkspaces(folder)).toEqual([paths[2], paths[1], paths[0]]);
    expect(recentWorkspaces(folder, (p) => p !== paths[1])).toEqual([paths[2], paths[0]]);
    expect(recentWorkspaces(join(folder, 'none'))).toEqual([]);
  });
});
