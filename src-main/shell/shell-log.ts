/**
 * The desktop app's logs (README, Logs): `main.log` in Electron's logs folder for the main process,
 * and the same folder handed to the training worker (a utility process) and the import threads through
 * FAIRBOUND_LOG_DIR, where they write `train-worker.log` and `import-worker.log`. An uncaught error is
 * logged with its stack and shown in a box that says where the log is; the app keeps running, and work a
 * crash interrupted is marked failed at the next start (store/interrupted.ts).
 */
import { app, dialog } from 'electron';
import { captureConsole, levelFromEnv, log, LOG_DIR_ENV, logUncaught, startProcessLog } from '../logging/log';

export function startShellLog(version: string): void {
  let ready = false;
  void app.whenReady().then(() => {
    ready = true;
  });
  const dir = app.getPath('logs');
  process.env[LOG_DIR_ENV] = dir;
  const { file } = startProcessLog({ name: 'main', dir, level: levelFromEnv() });
  captureConsole();
  logUncaught((error) => {
    if (!ready) return; // before the app is ready Electron can show no box; the log has it
    dialog.showErrorBox('Fairbound hit an unexpected error', `${error.message}\n\nThe details are in the log: ${file ?? dir}\n(Help → Open logs folder)`);
  });
  log.info(`Fairbound ${version} started (Electron ${process.versions.electron ?? '?'}, ${process.platform} ${process.arch}, packaged: ${app.isPackaged})`);
}
