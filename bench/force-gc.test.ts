import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { INSPECT_ON_SIGNAL, forceGcNode, nodeHeapBytes } from './peers/force-gc.ts';

/**
 * forceGcNode is how (d) collects a Node.js server's garbage before sampling its RSS, several times in
 * one server's life. It once closed the inspector after each collection, which made Node crash now and
 * then (SIGSEGV, the bench's MESHPILOT_BENCH_ERR_SERVER_GONE) and made every other back-to-back
 * collection fail; it now keeps the inspector open on its own port.
 */
// SIGUSR2 makes it keep 32 MiB of buffers (external memory), so heap readings can be checked.
const READY =
  "process.on('SIGUSR2', () => { globalThis.kept = Buffer.alloc(32 * 2 ** 20, 1); console.error('kept'); }); console.error('ready'); setInterval(() => {}, 1000)";

describe('forceGcNode', () => {
  it('collects the garbage of the same process several times in a row, and the process lives on', async () => {
    expect(
      await nodeHeapBytes({
        name: 'never collected',
        pid: process.pid,
        xdsPort: 0,
        tail: () => [],
        stop: async () => {},
      }),
    ).toBeUndefined();
    const child = spawn(process.execPath, [INSPECT_ON_SIGNAL, '--trace-gc', '-e', READY], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
    let forcedCollections = 0;
    // --trace-gc names the reason: HeapProfiler.collectGarbage is a "low memory notification".
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('Mark-Compact') && line.includes('low memory notification')) forcedCollections += 1;
    });
    const server = { name: 'node', pid: child.pid!, xdsPort: 0, tail: () => [...stderr], stop: async () => {} };
    try {
      // A server under test is up and running when the bench collects: so is this one.
      for (let wait = 0; wait < 500 && !stderr.includes('ready'); wait += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
      for (let i = 0; i < 3; i += 1) {
        const before = forcedCollections;
        expect(await forceGcNode(server), `collection ${i + 1}: ${stderr.join(' | ')}`).toBe(true);
        for (let wait = 0; wait < 100 && forcedCollections === before; wait += 1)
          await new Promise((resolve) => setTimeout(resolve, 20));
        expect(forcedCollections, `collection ${i + 1} ran a full GC`).toBeGreaterThan(before);
        expect(child.exitCode === null && child.signalCode === null, `alive after collection ${i + 1}`).toBe(true);
      }
      // heapUsed + external through the inspector the collections opened: it sees memory the process holds.
      const before = await nodeHeapBytes(server);
      expect(before).toBeGreaterThan(0);
      child.kill('SIGUSR2');
      for (let wait = 0; wait < 250 && !stderr.includes('kept'); wait += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await forceGcNode(server)).toBe(true);
      const after = await nodeHeapBytes(server);
      expect(after! - before!).toBeGreaterThanOrEqual(32 * 2 ** 20);
      // Its own port (--inspect-port=0), not 9229, which another process on the machine may hold.
      expect(stderr.join('\n')).toMatch(/Debugger listening on ws:\/\/127\.0\.0\.1:(?!9229\/)\d+\//);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  });
});
