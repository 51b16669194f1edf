// `npm start` runs this first: better-sqlite3 in node_modules is compiled for Node's ABI (the CLI and
// the tests use it); Electron needs its own build. We build a copy under build/electron-native so that
// neither breaks the other, and the shell loads it through better-sqlite3's nativeBinding.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const electronVersion = require('electron/package.json').version;
const source = join(root, 'node_modules/better-sqlite3');
const target = join(root, 'build/electron-native/better-sqlite3');
const addon = join(target, 'build/Release/better_sqlite3.node');
const stamp = join(target, '.electron-version');

if (existsSync(addon) && existsSync(stamp) && readFileSync(stamp, 'utf8') === `${electronVersion} ${process.arch}`) process.exit(0);

rmSync(target, { recursive: true, force: true });
cpSync(source, target, { recursive: true, filter: (path) => !path.startsWith(join(source, 'build')) });
const run = (command, args) => spawnSync(command, args, { cwd: target, stdio: 'inherit', shell: process.platform === 'win32' });
const bin = (name) => join(root, 'node_modules/.bin', process.platform === 'win32' ? `${name}.cmd` : name);
// A prebuilt binary for this Electron if one is published, else compile against Electron's headers.
let result = run(bin('prebuild-install'), ['--runtime', 'electron', '--target', electronVersion, '--arch', process.arch]);
if (result.status !== 0) {
  result = run('npm', ['exec', '--yes', '--', 'node-gyp', 'rebuild', '--release', `--target=${electronVersion}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers']);
}
if (result.status !== 0 || !existsSync(addon)) {
  console.error(`could not build better-sqlite3 for Electron ${electronVersion}; the desktop app needs it (the CLI does not)`);
  process.exit(1);
}
writeFileSync(stamp, `${electronVersion} ${process.arch}`);
console.log(`better-sqlite3 built for Electron ${electronVersion} at ${addon}`);
