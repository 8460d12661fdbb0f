import { nowMs, sleep } from '../clock.ts';
import { connectInspector, inspectorUrl } from '../inspector.ts';
import type { ServerProcess } from '../meshpilot-server.ts';

/**
 * Forces a full garbage collection in a server under test, from outside, without changing how it runs,
 * so (d) can report RSS per idle stream after a forced GC apart from what the push left behind:
 * - Node.js (meshpilot): SIGUSR1 opens the inspector (Node prints its ws:// address on stderr, which the
 *   bench keeps in the server's tail), then HeapProfiler.collectGarbage over the inspector protocol.
 *   The server must run with `--inspect-port=0` (INSPECT_ON_SIGNAL), so the inspector SIGUSR1 opens
 *   listens on a port of its own instead of 9229, which another process on the machine may hold.
 *   The inspector stays open (with no session) for the rest of the process's life and later
 *   collections reuse its address: closing it from inside (node:inspector close(), run from a timer
 *   the session set) while the bench's WebSocket was still disconnecting made Node crash with SIGSEGV
 *   now and then (MESHPILOT_BENCH_ERR_SERVER_GONE in about 1 bench run of 11; Node's own bug, the
 *   race of nodejs/node#18761), and a SIGUSR1 sent before that timer fired found the inspector still
 *   open and printed nothing, so every other collection failed.
 * - istiod: GET /debug/pprof/heap?gc=1 on its HTTP port (Go's pprof runs runtime.GC() first).
 * Resolves true when the collection ran, false when it could not.
 */

/** Node flag for a server forceGcNode will collect: SIGUSR1 then opens the inspector on an ephemeral port. */
export const INSPECT_ON_SIGNAL = '--inspect-port=0';

/** The inspector address of each server a forced GC opened it in (it stays open, see above). */
const openInspectors = new WeakMap<ServerProcess, string>();

/** Two full collections over the inspector protocol at `url`, within `timeoutMs`. */
async function collect(url: string, timeoutMs: number): Promise<void> {
  const end = nowMs() + timeoutMs;
  const left = (): number => Math.max(1, end - nowMs());
  const session = await connectInspector(url, left());
  try {
    await session.call('HeapProfiler.collectGarbage', {}, left());
    await session.call('HeapProfiler.collectGarbage', {}, left());
  } finally {
    session.close();
  }
}

/** Opens the inspector with SIGUSR1 and reads the address Node prints; undefined when none came in time. */
async function openInspector(server: ServerProcess, deadline: number): Promise<string | undefined> {
  const seen = new Set(server.tail());
  try {
    process.kill(server.pid, 'SIGUSR1');
  } catch {
    return undefined;
  }
  for (let i = 0; i < 200 && nowMs() < deadline; i += 1) {
    await sleep(50);
    const url = inspectorUrl(server.tail().filter((line) => !seen.has(line)));
    if (url !== undefined) return url;
  }
  return undefined;
}

export async function forceGcNode(server: ServerProcess, timeoutMs = 10_000): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  const known = openInspectors.get(server);
  if (known !== undefined) {
    try {
      await collect(known, Math.max(1_000, deadline - nowMs()));
      return true;
    } catch {
      openInspectors.delete(server);
      return false;
    }
  }
  const url = await openInspector(server, deadline);
  if (url === undefined) return false;
  openInspectors.set(server, url);
  try {
    await collect(url, Math.max(1_000, deadline - nowMs()));
    return true;
  } catch {
    return false;
  }
}

/** What a Node.js process's JavaScript holds (process.memoryUsage()), without what the allocator kept. */
export interface NodeMemory {
  /** V8 heap in use: JavaScript objects. */
  readonly heapUsed: number;
  /** Memory outside the V8 heap that V8 is told about: ArrayBuffer contents (Buffers) and native objects' reports. */
  readonly external: number;
  /** The ArrayBuffer part of external. */
  readonly arrayBuffers: number;
}

/** process.memoryUsage() of a Node.js server whose inspector forceGcNode opened (undefined when it has none). */
export async function nodeMemoryUsage(server: ServerProcess, timeoutMs = 10_000): Promise<NodeMemory | undefined> {
  const url = openInspectors.get(server);
  if (url === undefined) return undefined;
  try {
    const session = await connectInspector(url, timeoutMs);
    try {
      const answer = await session.call<{ result?: { value?: unknown } }>(
        'Runtime.evaluate',
        {
          expression: '(() => { const m = process.memoryUsage(); return [m.heapUsed, m.external, m.arrayBuffers]; })()',
          returnByValue: true,
        },
        timeoutMs,
      );
      const value = answer.result?.value;
      if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number')) return undefined;
      const [heapUsed, external, arrayBuffers] = value as [number, number, number];
      return { heapUsed, external, arrayBuffers };
    } finally {
      session.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * heapUsed + external (process.memoryUsage()) of a Node.js server whose inspector forceGcNode opened:
 * what its JavaScript objects and the buffers they own hold, without what the allocator kept.
 */
export async function nodeHeapBytes(server: ServerProcess, timeoutMs = 10_000): Promise<number | undefined> {
  const usage = await nodeMemoryUsage(server, timeoutMs);
  return usage === undefined ? undefined : usage.heapUsed + usage.external;
}

export async function forceGcIstiod(httpUrl: string, timeoutMs = 10_000): Promise<boolean> {
  try {
    const answer = await fetch(`${httpUrl}/debug/pprof/heap?gc=1`, { signal: AbortSignal.timeout(timeoutMs) });
    await answer.arrayBuffer();
    return answer.ok;
  } catch {
    return false;
  }
}
