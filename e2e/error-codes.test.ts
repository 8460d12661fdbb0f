import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', 'dist', '.cache', '.git', 'interop']);
const CODE = /MESHPILOT_ERR_[A-Z0-9_]*[A-Z0-9]/g;

/** Every MESHPILOT_ERR_* code the non-test TypeScript sources use. */
async function codesInSources(dir: string): Promise<Set<string>> {
  const codes = new Set<string>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) for (const code of await codesInSources(path)) codes.add(code);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      for (const match of (await readFile(path, 'utf8')).matchAll(CODE)) codes.add(match[0]);
  }
  return codes;
}

describe('README error-code catalogue', () => {
  it('lists every MESHPILOT_ERR_* code the sources use, each once with a meaning, and no other', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `(MESHPILOT_ERR_[A-Z0-9_]+)` \| (.+) \|$/gm)];
    const listed = rows.map((row) => row[1] ?? '');
    expect(new Set(listed).size, 'a code listed twice').toBe(listed.length);
    for (const row of rows) expect(row[2]?.trim().length ?? 0, `${row[1]} has a meaning`).toBeGreaterThan(3);
    const used = [...(await codesInSources(ROOT))].sort();
    // A new code needs a row in README.md "Error codes"; a removed one loses its row.
    expect([...listed].sort()).toEqual(used);
  });
});
