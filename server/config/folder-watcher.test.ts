import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../e2e/support/eventually.ts';
import { FolderWatcher, type FolderEvents } from './folder-watcher.ts';

describe('FolderWatcher on a real folder', () => {
  let root: string;
  let watcher: FolderWatcher | undefined;
  const reads: FolderEvents[] = [];
  const errors: string[] = [];

  const start = (dir: string, options: ConstructorParameters<typeof FolderWatcher>[2]): FolderWatcher => {
    watcher = new FolderWatcher(
      dir,
      async (events) => {
        reads.push({ full: events.full, names: new Set(events.names) });
      },
      options,
      (message) => errors.push(message),
    );
    watcher.start();
    return watcher;
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'meshpilot-folder-watcher-'));
    reads.length = 0;
    errors.length = 0;
  });

  afterEach(async () => {
    await watcher?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('names the files that changed, with their sub-folder', async () => {
    await mkdir(join(root, 'sub'));
    start(root, { settleMs: 20, resyncMs: 0 });
    await writeFile(join(root, 'sub', 'a.yaml'), 'a: 1\n');
    await eventually(() => reads.some((r) => r.names.has(join('sub', 'a.yaml'))), 'a read naming sub/a.yaml', 10_000);
    expect(reads.every((r) => !r.full)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('reads everything instead once a burst names more files than it keeps', async () => {
    // A long settle keeps the whole burst in one read.
    start(root, { settleMs: 3_000, settleMaxMs: 20_000, resyncMs: 0 });
    for (let i = 0; i < 4_200; i += 64)
      await Promise.all(
        Array.from({ length: Math.min(64, 4_200 - i) }, (_, j) => writeFile(join(root, `f-${i + j}.yaml`), 'x: 1\n')),
      );
    await eventually(() => reads.length > 0, 'the read after the burst', 30_000);
    expect(reads[0]?.full).toBe(true);
    expect(reads[0]?.names.size).toBeLessThanOrEqual(4_096);
  });

  it('watches a folder that did not exist at start once the resync finds it', async () => {
    const dir = join(root, 'later');
    const started = start(dir, { settleMs: 20, resyncMs: 100 });
    expect(started.watching()).toBe(false);
    expect(errors[0]).toMatch(/^cannot watch the folder: .*ENOENT/);
    await mkdir(dir);
    await eventually(() => started.watching(), 'the watch to start', 10_000);
    reads.length = 0;
    await writeFile(join(dir, 'b.yaml'), 'b: 1\n');
    await eventually(() => reads.some((r) => r.names.has('b.yaml')), 'a read naming b.yaml', 10_000);
  });
});
