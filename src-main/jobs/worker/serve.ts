/**
 * The worker process's side of the protocol: one run, experiment trial or audit inference at a time, in this process,
 * until `shutdown` or until the parent goes away (then the current run or trial is cancelled, so it is
 * not left `running`). Everything deep (tfjs) stays in this one process: TF.js in several worker threads
 * of one process is known to break (tensorflow/tfjs#8388), and the app's main process must stay free.
 */
import { log } from '../../logging/log';
import { existsSync } from 'node:fs';
import { CancelledError } from '../../deep/cancel';
import { predictAuditRows } from '../../audit/model-audit';
import { DeepTrialSession } from '../../experiments/deep-session';
import { openWorkspace, type WritableDB } from '../../store/database';
import { endRun } from '../../store/runs';
import { executeRun } from '../../runs/pipeline';
import { pretrainedBodyPort } from '../../audit/pretrained-body';
import { runExport } from '../../runs/export-run';
import { serializeError } from '../envelope';
import type { FromTrainingWorker, ToTrainingWorker } from '../worker-protocol';

/** How often a running trial looks for its cancel file (ms). */
const CANCEL_POLL_MS = 200;

/** What the worker needs of its IPC channel (a forked process's `process`). */
export interface WorkerPort {
  send(message: FromTrainingWorker): void;
  on(event: 'message', listener: (message: ToTrainingWorker) => void): void;
  on(event: 'disconnect', listener: () => void): void;
  disconnect?(): void;
}

/** Electron's `process.parentPort` in a utility process (the part used here). */
export interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
}

/** This process's parent port when it is an Electron utility process. */
export function utilityParentPort(): ParentPortLike | undefined {
  return (process as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort;
}

/**
 * The port of an Electron utility process. It has no disconnect: Electron ends a utility process with
 * the app, so there is no orphaned run to cancel.
 */
export function parentPortWorkerPort(parentPort: ParentPortLike): WorkerPort {
  return {
    send: (message) => parentPort.postMessage(message),
    on: (event: 'message' | 'disconnect', listener: (...args: never[]) => void) => {
      if (event === 'message') parentPort.on('message', (e) => (listener as (m: ToTrainingWorker) => void)(e.data as ToTrainingWorker));
    },
  };
}

function processPort(): WorkerPort {
  const parentPort = utilityParentPort();
  if (parentPort) return parentPortWorkerPort(parentPort);
  if (!process.send) throw new Error('the training worker must be started with an IPC channel (child_process.fork) or as an Electron utility process');
  // Ctrl-C in a terminal signals the whole process group: the parent decides (it sends a cancel), and
  // if the parent goes away the disconnect below cancels the run.
  process.on('SIGINT', () => undefined);
  return {
    send: (message) => {
      // After a disconnect there is nobody to tell; the outcome is in the database anyway.
      if (process.connected) process.send!(message);
    },
    on: (event: 'message' | 'disconnect', listener: (...args: never[]) => void) => {
      process.on(event, listener as (...args: unknown[]) => void);
    },
    disconnect: () => {
      if (process.connected) process.disconnect();
    },
  };
}

/** Serves runs until shutdown or disconnect; resolves once the last run has ended. */
export function serveTrainingWorker(port: WorkerPort = processPort()): Promise<void> {
  let current: { runId: number; abort: AbortController } | null = null;
  let currentTrial: { sessionId: number; taskId: number; abort: AbortController } | null = null;
  // From the message's arrival, not the job's start: a cancel sent right behind the request must be seen.
  const audits = new Map<number, AbortController>();
  const sessions = new Map<number, DeepTrialSession>();
  let chain: Promise<void> = Promise.resolve();
  let closing = false;
  return new Promise<void>((resolve) => {
    const close = (): void => {
      if (closing) return;
      closing = true;
      void chain.then(() => {
        for (const session of sessions.values()) session.dispose();
        sessions.clear();
        port.disconnect?.();
        resolve();
      });
    };
    port.on('message', (message) => {
      log.debug(`message ${message.type}`);
      switch (message.type) {
        case 'start': {
          const { runId, dbPath, nativeBinding } = message;
          const abort = new AbortController();
          chain = chain.then(async () => {
            if (closing) return;
            current = { runId, abort };
            let db: WritableDB | null = null;
            try {
              db = openWorkspace(dbPath, nativeBinding ? { nativeBinding } : {});
              const outcome = await executeRun(db, runId, {
                signal: abort.signal,
                pretrainedBody: pretrainedBodyPort,
                onEvent: (event) => port.send({ type: 'progress', runId, event }),
              });
              log.info(`run ${runId} ended ${outcome.status}`);
              port.send({ type: 'done', runId, status: outcome.status, error: outcome.error });
            } catch (error) {
              // executeRun records its own failures; this is for what happens around it.
              log.error(`run ${runId} failed in the worker:`, error);
              try {
                if (db) endRun(db, runId, { status: 'failed', error: `the training worker failed: ${error instanceof Error ? error.message : String(error)}` });
              } catch {
                // The database itself is the problem: the parent records the failure.
              }
              port.send({ type: 'failed', runId, error: serializeError(error) });
            } finally {
              db?.close();
              current = null;
            }
          });
          return;
        }
        case 'cancel':
          if (current?.runId === message.runId) current.abort.abort(message.reason ?? 'cancelled');
          return;
        case 'trial': {
          const { sessionId, session: spec, taskId, task, cancelFile } = message;
          const abort = new AbortController();
          let lastPoll = 0;
          // Progress comes per batch and per QSA iteration, also from inside synchronous loops: the cancel file is seen there.
          const pollCancel = (): void => {
            const now = Date.now();
            if (abort.signal.aborted || now - lastPoll < CANCEL_POLL_MS) return;
            lastPoll = now;
            if (existsSync(cancelFile)) abort.abort('cancelled');
          };
          chain = chain.then(async () => {
            if (closing) {
              port.send({ type: 'trial-failed', sessionId, taskId, error: { name: 'Error', message: 'the training worker is shutting down' }, cancelled: true });
              return;
            }
            currentTrial = { sessionId, taskId, abort };
            try {
              let session = sessions.get(sessionId);
              if (!session) {
                session = await DeepTrialSession.open(spec);
                sessions.set(sessionId, session);
              }
              const result = await session.run(task, {
                signal: abort.signal,
                onProgress: (progress) => {
                  pollCancel();
                  port.send({ type: 'trial-progress', sessionId, taskId, progress });
                },
              });
              port.send({ type: 'trial-result', sessionId, taskId, result, pid: process.pid, backend: session.backend() });
            } catch (error) {
              port.send({ type: 'trial-failed', sessionId, taskId, error: serializeError(error), cancelled: abort.signal.aborted });
            } finally {
              currentTrial = null;
            }
          });
          return;
        }
        case 'audit-predict': {
          const { auditId, request } = message;
          const abort = new AbortController();
          audits.set(auditId, abort);
          chain = chain.then(async () => {
            if (closing || abort.signal.aborted) {
              audits.delete(auditId);
              port.send({ type: 'audit-failed', auditId, error: { name: 'CancelledError', message: closing ? 'the training worker is shutting down' : 'cancelled' }, cancelled: true });
              return;
            }
            let db: WritableDB | null = null;
            try {
              db = openWorkspace(request.dbPath, request.nativeBinding ? { nativeBinding: request.nativeBinding } : {});
              // The inference awaits each batch's data, so an audit-cancel message is read between batches.
              const reply = await predictAuditRows(db, request, {
                signal: abort.signal,
                onProgress: (done, total) => port.send({ type: 'audit-progress', auditId, progress: { done, total } }),
              });
              port.send({ type: 'audit-result', auditId, reply });
            } catch (error) {
              port.send({ type: 'audit-failed', auditId, error: serializeError(error), cancelled: abort.signal.aborted || error instanceof CancelledError });
            } finally {
              db?.close();
              audits.delete(auditId);
            }
          });
          return;
        }
        case 'export': {
          const { exportId, request } = message;
          chain = chain.then(async () => {
            let db: WritableDB | null = null;
            try {
              if (closing) throw new Error('the training worker is shutting down');
              db = openWorkspace(request.dbPath, request.nativeBinding ? { nativeBinding: request.nativeBinding } : {});
              port.send({ type: 'export-result', exportId, files: await runExport(db, request) });
            } catch (error) {
              port.send({ type: 'export-failed', exportId, error: serializeError(error) });
            } finally {
              db?.close();
            }
          });
          return;
        }
        case 'audit-cancel':
          audits.get(message.auditId)?.abort('cancelled');
          return;
        case 'trial-cancel': {
          const trial = currentTrial;
          if (trial && trial.sessionId === message.sessionId && trial.taskId === message.taskId) trial.abort.abort('cancelled');
          return;
        }
        case 'trials-close': {
          const { sessionId } = message;
          // After the trial in flight (if any): the session's models are in use until then.
          chain = chain.then(() => {
            sessions.get(sessionId)?.dispose();
            sessions.delete(sessionId);
          });
          return;
        }
        case 'shutdown':
          close();
          return;
      }
    });
    port.on('disconnect', () => {
      current?.abort.abort('cancelled: the process that started the run went away');
      currentTrial?.abort.abort('cancelled: the process that started the experiment went away');
      for (const abort of audits.values()) abort.abort('cancelled: the process that started the audit went away');
      close();
    });
    port.send({ type: 'ready', pid: process.pid });
  });
}
