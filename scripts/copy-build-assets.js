// Copies the files the compiled code reads at run time beside it (tsc emits only JavaScript): for every
// top-level folder tsc wrote into dist/, its .proto files and the admin page's static files.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const ASSETS = new Set(['.proto', '.html', '.css', '.js', '.svg']);
const SKIP = new Set(['node_modules', 'testdata', 'test-support', '__screenshots__']);

function copyAssets(dir) {
  let copied = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name)) copied += copyAssets(path);
    } else if (entry.isFile() && ASSETS.has(extname(entry.name))) {
      const target = join(DIST, relative(ROOT, path));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
      copied += 1;
    }
  }
  return copied;
}

if (!existsSync(DIST)) throw new Error('dist/ does not exist: run tsc -p tsconfig.build.json first');
let copied = 0;
for (const entry of readdirSync(DIST, { withFileTypes: true })) {
  if (entry.isDirectory() && existsSync(join(ROOT, entry.name))) copied += copyAssets(join(ROOT, entry.name));
}
process.stdout.write(`copied ${copied} run-time asset files into dist/\n`);
