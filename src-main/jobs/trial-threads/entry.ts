/**
 * Entry file of a trial worker thread when running from TypeScript source (tests): the runner bundles
 * this file with esbuild and starts it. Never imported by other modules.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { TRIAL_WORKER_MARKER } from './protocol';
import { serveTrialWorker } from './serve';

if (!isMainThread && parentPort && workerData === TRIAL_WORKER_MARKER) void serveTrialWorker(parentPort);
