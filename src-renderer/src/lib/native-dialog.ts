/**
 * The Browse button's native half: in the desktop app `dialogs.open` shows the OS dialog; elsewhere
 * (browser mode) the route answers `not_available` and the caller falls back to its file browser.
 */
import type { DialogOpenInput } from '../../../src-shared/contract';

/** PathField's extensions (`.csv`, `.json`) as native dialog filters, with an "All files" escape. */
export function dialogFilters(extensions: readonly string[] | undefined): DialogOpenInput['filters'] {
  const bare = (extensions ?? []).map((e) => e.replace(/^\./, '')).filter((e) => /^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$/.test(e));
  if (bare.length === 0) return undefined;
  return [
    { name: bare.map((e) => e.toUpperCase()).join(', ') + ' files', extensions: bare },
    { name: 'All files', extensions: ['*'] },
  ];
}

export function dialogRequest(pick: 'file' | 'directory', title: string, extensions: readonly string[] | undefined): DialogOpenInput {
  const filters = pick === 'file' ? dialogFilters(extensions) : undefined;
  return { kind: pick === 'directory' ? 'folder' : 'file', title, ...(filters ? { filters } : {}) };
}
