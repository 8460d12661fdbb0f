import { nowMs, sleep } from '../clock.ts';
import type { ServerProcess } from '../meshpilot-server.ts';

/**
 * Forces a full garbage collection in a server under test, from outside, without changing how it runs,
 * so (d) can report RSS per idle stream after a forced GC apart from what the push left behind:
 * - Node.js (meshpilot, the baseline): SIGUSR1 opens the inspector (Node prints its ws:// address on
 *   stderr, which the bench keeps in the server's tail), one HeapProfiler.collectGarbage over the
 *   inspector protocol, then the inspector is closed again from inside (node:inspector close()).
 * - istiod: GET /debug/pprof/heap?gc=1 on its HTTP port (Go's pprof runs runtime.GC() first).
 * Resolves true when the collection ran, false when it could not (e.g. the inspector port was taken).
 */

const INSPECTOR_URL = /Debugger listening on (ws:\/\/\S+)/;

/** One inspector-protocol exchange per method, in order; resolves once every answer came back. */
async function inspect(url: string, methods: readonly { method: string; params?: unknown }[], timeoutMs: number) {
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('inspector did not answer')), timeoutMs);
      let answered = 0;
      socket.addEventListener('open', () =>
        methods.forEach((m, id) => socket.send(JSON.stringify({ id: id + 1, method: m.method, params: m.params }))),
      );
      socket.addEventListener('message', (event) => {
        const message = JSON.parse(String(event.data)) as { id?: number };
        if (message.id !== undefined && ++answered === methods.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new Error('inspector connection failed'));
      });
    });
  } finally {
    socket.close();
  }
}

export async function forceGcNode(server: ServerProcess, timeoutMs = 10_000): Promise<boolean> {
  const seen = new Set(server.tail());
  try {
    process.kill(server.pid, 'SIGUSR1');
  } catch {
    return false;
  }
  const deadline = nowMs() + timeoutMs;
  let url: string | undefined;
  for (let i = 0; i < 200 && nowMs() < deadline && url === undefined; i += 1) {
    await sleep(50);
    for (const line of server.tail()) {
      const match = seen.has(line) ? null : INSPECTOR_URL.exec(line);
      if (match) url = match[1];
    }
  }
  if (url === undefined) return false;
  try {
    await inspect(
      url,
      [
        { method: 'HeapProfiler.collectGarbage' },
        { method: 'HeapProfiler.collectGarbage' },
        {
          method: 'Runtime.evaluate',
          params: { expression: "setTimeout(() => process.getBuiltinModule('node:inspector').close(), 100)" },
        },
      ],
      Math.max(1_000, deadline - nowMs()),
    );
    return true;
  } catch {
    return false;
  }
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
