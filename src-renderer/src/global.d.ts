import type { FairboundBridge } from '../../src-shared/contract';

declare global {
  interface Window {
    /** The contract: the Electron preload provides it, or in browser mode lib/browser-bridge.ts. */
    fairbound?: FairboundBridge;
  }
}
