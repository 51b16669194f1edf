#!/usr/bin/env node
// The CLI is bundled by `npm run build:cli` (run by `prepare` after install).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../out/cli/fairbound.mjs', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('fairbound: the CLI is not built yet; run `npm run build:cli` (npm install runs it).\n');
  process.exit(1);
}
await import(entry.href);
