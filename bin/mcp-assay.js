#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm install` (the prepare script); this shim only loads it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('mcp-assay: not built yet; run `npm install` (or `npm run build`) in the project folder\n');
  process.exit(70);
}
const { runCli } = await import(entry.href);
process.exitCode = await runCli(process.argv.slice(2));
