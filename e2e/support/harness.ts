import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

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
