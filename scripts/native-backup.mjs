// Where the packaging hooks keep better-sqlite3's Node build while node_modules holds Electron's
// (scripts/rebuild-native-for-electron.mjs saves it, scripts/restore-native-for-node.mjs puts it back).
import { join } from 'node:path';

export const ADDON = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
export const BACKUP = join('build', 'node-native', 'better_sqlite3.node');
