/**
 * Entry file of the training worker process: from TypeScript source (tests) the host bundles it with
 * esbuild and forks it; the Electron build bundles it as train-worker.mjs (forked, or run as a utility
 * process). The CLI bundle serves the same worker through its hidden `train __worker` command. Never
 * imported by other modules.
 */
import { startWorkerLog } from '../../logging/log';
import { serveTrainingWorker, utilityParentPort } from './serve';

// Forked (an IPC channel) or an Electron utility process (a parent port).
if (process.send || utilityParentPort()) {
  // train-worker.log in the folder the host passed down (the app's log folder), when it passed one.
  startWorkerLog('train-worker');
  await serveTrainingWorker();
  // Nothing else should keep the worker alive once it is told to go (wasm/tfjs may hold timers).
  process.exit(0);
}
