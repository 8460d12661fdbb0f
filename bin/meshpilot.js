#!/usr/bin/env node
// Runs the compiled build in dist/ (`npm run build`; `npm start` builds first). bin/meshpilot-ts.js runs
// the TypeScript sources through tsx instead, for development and tests.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(`meshpilot: ${fileURLToPath(entry)} is missing: run \`npm run build\` first\n`);
  process.exit(1);
}
process.setSourceMapsEnabled(true);
const { main } = await import(entry.href);
await main(process.argv);
