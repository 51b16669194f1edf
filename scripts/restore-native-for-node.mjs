// electron-builder's afterAllArtifactBuild hook (electron-builder.config.mjs), or by hand after a failed
// `npm run dist`: puts back better-sqlite3's Node build that scripts/rebuild-native-for-electron.mjs saved,
// so the CLI and the tests work again in this checkout.
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDON, BACKUP } from './native-backup.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

export default function restoreNativeForNode() {
  const backup = join(root, BACKUP);
  if (!existsSync(backup)) return [];
  copyFileSync(backup, join(root, ADDON));
  rmSync(backup);
  console.log('better-sqlite3: the Node build is back in node_modules');
  return [];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) restoreNativeForNode();
