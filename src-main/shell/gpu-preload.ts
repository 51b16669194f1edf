import { ipcRenderer } from 'electron';
import { GPU_TRAINER_CONNECT, GPU_TRAINER_PORT_CHANNEL } from '../../src-shared/contract/gpu-trainer-channels';

// Preload of the hidden GPU window (gpu-window.ts). It exposes nothing: it only hands the MessagePort that
// main sends to the page, the way Electron documents for a context-isolated main world
// (window.postMessage with the port as a transferable). The page validates every message on that port.

/** The DOM members used here (this project's main-process typings have no DOM library). */
interface PreloadWindow {
  addEventListener(type: 'load', listener: () => void, options: { once: true }): void;
  postMessage(message: string, targetOrigin: string, transfer: readonly unknown[]): void;
}
const page = globalThis as unknown as PreloadWindow;

const loaded = new Promise<void>((resolve) => page.addEventListener('load', () => resolve(), { once: true }));

ipcRenderer.on(GPU_TRAINER_PORT_CHANNEL, (event) => {
  // The page's module script registers its listener before `load`.
  void loaded.then(() => page.postMessage(GPU_TRAINER_CONNECT, '*', event.ports));
});
