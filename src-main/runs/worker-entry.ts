/**
 * Entry file of the training worker process when running from TypeScript source (tests): the host
 * bundles this file with esbuild and forks it. The CLI bundle serves the same worker through its hidden
 * `train __worker` command. Never imported by other modules.
 */
import { serveTrainingWorker } from './worker-serve';

if (process.send) {
  await serveTrainingWorker();
  // Nothing else should keep the worker alive once it is told to go (wasm/tfjs may hold timers).
  process.exit(0);
}
