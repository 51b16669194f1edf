/**
 * Browser mode's access token. It comes in the page URL `fairbound serve` prints; `takeToken` moves it
 * out of the address bar (history.replaceState) into the tab's sessionStorage, so that it is not left in
 * the history or on screen, and a reload of this tab still has it. Written against the few members it
 * uses (no DOM types), so unit tests run it in Node.
 */
import { TOKEN_QUERY } from '../../../src-shared/contract';

export const TOKEN_STORAGE_KEY = 'fairbound.token';

export interface TokenLocation {
  readonly search: string;
  readonly pathname: string;
  readonly hash: string;
}
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
export interface TokenHistory {
  readonly state: unknown;
  replaceState(state: unknown, unused: string, url: string): void;
}

/**
 * The access token: from the address (then dropped from it, keeping the path, other query parameters
 * and the hash, and stored for reloads), else from sessionStorage; '' if neither has one.
 */
export function takeToken(location: TokenLocation, storage: TokenStorage | undefined, history: TokenHistory): string {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get(TOKEN_QUERY);
  if (fromUrl === null) {
    try {
      return storage?.getItem(TOKEN_STORAGE_KEY) ?? '';
    } catch {
      return ''; // storage disabled
    }
  }
  try {
    storage?.setItem(TOKEN_STORAGE_KEY, fromUrl);
  } catch {
    // storage disabled: this page works, a reload will not
  }
  params.delete(TOKEN_QUERY);
  const search = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${search === '' ? '' : `?${search}`}${location.hash}`);
  return fromUrl;
}
