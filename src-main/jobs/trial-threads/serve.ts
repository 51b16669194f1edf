/**
 * The worker side: answers `init` by building a TrialExecutor on the shared dataset, then each `run`
 * with its result, until `close`. Used by the worker entry file (TS source,
 * or the bundle's hidden `experiment __trial-worker` command).
 */
import type { MessagePort } from 'node:worker_threads';
import { TrialExecutor } from '../../experiments/trial-executor';
import { serializeError } from '../envelope';
import type { FromTrialWorker, ToTrialWorker } from './protocol';

export function serveTrialWorker(port: MessagePort): Promise<void> {
  let executor: TrialExecutor | null = null;
  // Tasks arrive one at a time (the runner waits for each result), but keep them in order regardless.
  let chain = Promise.resolve();
  const post = (message: FromTrialWorker): void => port.postMessage(message);
  return new Promise<void>((resolve) => {
    port.on('message', (message: ToTrialWorker) => {
      switch (message.type) {
        case 'init':
          try {
            executor = new TrialExecutor(message);
            post({ type: 'ready' });
          } catch (error) {
            post({ type: 'failed', taskId: null, error: serializeError(error) });
          }
          return;
        case 'run':
          chain = chain.then(async () => {
            try {
              if (!executor) throw new Error('trial worker: run before init');
              const result = await executor.run(message.task);
              post({ type: 'result', taskId: message.taskId, result });
            } catch (error) {
              post({ type: 'failed', taskId: message.taskId, error: serializeError(error) });
            }
          });
          return;
        case 'close':
          void chain.then(() => {
            executor?.dispose();
            port.close();
            resolve();
          });
          return;
      }
    });
  });
}
