/**
 * Entry file of an import worker thread: bundled next to the Electron main bundle (electron.vite.config.ts),
 * or bundled with esbuild when running from TypeScript source (tests). Never imported by other modules.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startWorkerLog } from '../../logging/log';
import { IMPORT_WORKER_MARKER } from './protocol';
import { serveImportWorker } from './serve';

if (!isMainThread && parentPort && workerData === IMPORT_WORKER_MARKER) {
  // import-worker.log in the folder the host passed down (the app's log folder), when it passed one.
  startWorkerLog('import-worker');
  serveImportWorker(parentPort);
}
