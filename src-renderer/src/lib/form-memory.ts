/**
 * Forms keep their state per workspace in the window's localStorage, under the workspace's database
 * path: a draft (which dataset, which constraints, how many epochs) is this user's work in progress on
 * this machine, not a fact about the workspace, and its dataset ids and column names mean something only
 * in the workspace it was written for; localStorage survives reloads and restarts without a route, a
 * table or a migration. Restoring takes only the keys the form still has, with the type its default has,
 * so a draft from an older version or a hand-edited one cannot put a string where a number goes.
 */

/** The storage key of one form's draft in one workspace. */
export function formKey(form: string, workspace: string): string {
  return `fairbound.form.${form}:${workspace}`;
}

function sameKind(fallback: unknown, value: unknown): boolean {
  if (fallback === null) return value === null || typeof value === 'number' || typeof value === 'string';
  if (Array.isArray(fallback)) return Array.isArray(value);
  return typeof value === typeof fallback && value !== null;
}

/** `defaults` with each key the saved draft has, of the same kind; keys the draft lacks keep their default. */
export function mergeDraft<T extends Record<string, unknown>>(defaults: T, saved: unknown): T {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return defaults;
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, fallback] of Object.entries(defaults)) {
    const value = (saved as Record<string, unknown>)[key];
    if (value !== undefined && sameKind(fallback, value) && !(typeof value === 'number' && !Number.isFinite(value))) out[key] = value;
  }
  return out as T;
}

/** The part of the page's localStorage a draft needs. */
export interface DraftStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function readDraft(storage: Pick<DraftStorage, 'getItem'> | null, key: string): unknown {
  try {
    const raw = storage?.getItem(key);
    return raw ? (JSON.parse(raw) as unknown) : null;
  } catch {
    return null; // unreadable: the defaults
  }
}

export function writeDraft(storage: Pick<DraftStorage, 'setItem'> | null, key: string, value: unknown): void {
  try {
    storage?.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the draft is just not kept
  }
}
