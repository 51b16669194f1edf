// electron-builder's beforeBuild hook (electron-builder.config.mjs): rebuilds better-sqlite3 — the one
// addon built against V8 rather than N-API — for the Electron version and architecture being packaged,
// in node_modules, then tells electron-builder to skip its own rebuild of every native dependency (which
// would rebuild the optional TensorFlow packages and download libtensorflow again). At packaging time
// only: `npm ci` stays offline-safe. The Node build the CLI and the tests use is saved first and put back
// after the last installer (scripts/restore-native-for-node.mjs, also runnable by hand).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rebuild } from '@electron/rebuild';
import { ADDON, BACKUP } from './native-backup.mjs';

export default async function beforeBuild(context) {
  const addon = join(context.appDir, ADDON);
  const backup = join(context.appDir, BACKUP);
  // Once per `npm run dist` (one call per architecture): the first call still sees Node's build.
  if (!existsSync(backup) && existsSync(addon)) {
    mkdirSync(dirname(backup), { recursive: true });
    copyFileSync(addon, backup);
  }
  console.log(`rebuilding better-sqlite3 for Electron ${context.electronVersion} (${context.platform.nodeName}-${context.arch})`);
  await rebuild({ buildPath: context.appDir, electronVersion: context.electronVersion, arch: context.arch, onlyModules: ['better-sqlite3'], force: true, mode: 'sequential' });
  return false;
}
