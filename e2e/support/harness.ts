import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const twoUp = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Compiled into dist/e2e/support (the bench's build imports it): the repository is one level further up.
const repoRoot = basename(twoUp) === 'dist' ? dirname(twoUp) : twoUp;

/**
 * The folder where `interop/<name>/build.sh` put its build (a per-machine cache; `npm test` and `.ci/run`
 * build every harness first through `npm run harnesses`).
 */
export function harnessDir(name: string): string {
  const dir = join(repoRoot, '.cache', 'harness', name);
  if (!existsSync(join(dir, '.built'))) {
    throw new Error(`harness ${name} is not built: run \`bash interop/${name}/build.sh\` (or \`npm run harnesses\`)`);
  }
  return dir;
}
