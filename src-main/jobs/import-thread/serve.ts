/**
 * The worker side of an import (start.ts starts it): one `start` message, one
 * import on a connection of its own, progress (at most every 50 ms, and on each phase change), then
 * exactly one of `done`, `cancelled` or `failed`, after which the port closes and the thread ends.
 */
import { log } from '../../logging/log';
import type { MessagePort } from 'node:worker_threads';
import { importDataset, type ImportProgress } from '../../data/importers';
import { openWorkspace, type WritableDB } from '../../store/database';
import { isUnexpected, toErrorData } from '../error-data';
import type { FromImportWorker, ToImportWorker } from './protocol';

const PROGRESS_INTERVAL_MS = 50;

export function serveImportWorker(port: MessagePort): void {
  const controller = new AbortController();
  let started = false;
  const send = (message: FromImportWorker): void => port.postMessage(message);

  port.on('message', (message: ToImportWorker) => {
    if (message.type === 'cancel') {
      controller.abort(new Error(message.reason));
      return;
    }
    if (started) return;
    started = true;
    void run(message);
  });

  async function run(start: Extract<ToImportWorker, { type: 'start' }>): Promise<void> {
    let lastSent = -Infinity;
    let lastPhase: ImportProgress['phase'] | undefined;
    const onProgress = (progress: ImportProgress): void => {
      const now = Date.now();
      if (progress.phase === lastPhase && now - lastSent < PROGRESS_INTERVAL_MS) return;
      lastSent = now;
      lastPhase = progress.phase;
      send({ type: 'progress', progress });
    };
    let db: WritableDB | undefined;
    try {
      log.info(`import '${start.request.name}' (${start.request.format}) started`);
      db = openWorkspace(start.dbPath, start.openOptions);
      const result = await importDataset(db, start.request, { signal: controller.signal, onProgress });
      log.info(`import '${start.request.name}' done: dataset ${result.dataset.id}, ${result.dataset.nRows} rows`);
      send({ type: 'done', outcome: { datasetId: result.dataset.id, datasetName: result.dataset.name, importJobId: result.jobId, nRows: result.dataset.nRows } });
    } catch (err) {
      if (controller.signal.aborted) send({ type: 'cancelled', reason: controller.signal.reason instanceof Error ? controller.signal.reason.message : 'cancelled' });
      else {
        // A bug (not bad input): its stack stays here, in the log; the job gets the message.
        if (isUnexpected(err)) console.error('the import failed unexpectedly:', err);
        else log.warn(`import '${start.request.name}' failed: ${err instanceof Error ? err.message : String(err)}`);
        send({ type: 'failed', error: toErrorData(err) });
      }
    } finally {
      db?.close();
      port.close();
    }
  }
}
