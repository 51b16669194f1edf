// electron-builder's beforeBuild hook (electron-builder.config.mjs): rebuilds better-sqlite3 — the one
// addon built against V8 rather than N-API — for the Electron version and architecture being packaged,
// in node_modules, then tells electron-builder to skip its own rebuild of every native dependency (which
// would rebuild the optional TensorFlow packages and download libtensorflow again). At packaging time
// only: `npm ci` stays offline-safe, and the CLI and the tests keep Node's build until `npm run dist`.
import { rebuild } from '@electron/rebuild';

export default async function beforeBuild(context) {
  const arch = context.arch;
  console.log(`rebuilding better-sqlite3 for Electron ${context.electronVersion} (${context.platform.nodeName}-${arch})`);
  await rebuild({ buildPath: context.appDir, electronVersion: context.electronVersion, arch, onlyModules: ['better-sqlite3'], force: true, mode: 'sequential' });
  return false;
}
