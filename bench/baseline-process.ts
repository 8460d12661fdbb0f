import type { ChildProcess } from 'node:child_process';
import { benchEntry, forkTs } from './child-process.ts';
import { stopChild, type ServerProcess } from './meshpilot-server.ts';
import { PushWaiters } from './push-waiters.ts';

/** The baseline server in its own process (so its CPU and RSS are its own), driven over IPC. */

const ENTRY = benchEntry('baseline-server');

export interface BaselineProcess extends ServerProcess {
  /** Tells the baseline to push new versions of these EDS resources (one response per view) to every stream; resolves with the streams written to. */
  push(resources: readonly string[]): Promise<number>;
}

export async function startBaseline(
  recordingDir: string,
  timeoutMs: number,
  nodeFlags: readonly string[] = [],
): Promise<BaselineProcess> {
  const child: ChildProcess = forkTs(ENTRY, [recordingDir], { nodeFlags, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  const tail: string[] = [];
  child.on('error', (error: Error) => tail.push(`process: ${error.message}`));
  child.stderr?.on('data', (chunk: Buffer) => {
    tail.push(chunk.toString('utf8').slice(0, 400));
    if (tail.length > 20) tail.shift();
  });
  const waiters = new PushWaiters();
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`baseline server not ready within ${timeoutMs} ms: ${tail.join('')}`)),
      timeoutMs,
    );
    child.on('message', (message: { ready?: boolean; port?: number; id?: number; sent?: number }) => {
      if (message.ready && message.port !== undefined) {
        clearTimeout(timer);
        resolve(message.port);
      } else if (message.id !== undefined) {
        waiters.settle(message.id, message.sent ?? 0);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`baseline server exited (code ${String(code)}): ${tail.join('')}`));
    });
  });
  ready.catch(() => undefined);
  let port: number;
  try {
    port = await ready;
  } catch (error: unknown) {
    await stopChild(child, 2_000);
    throw error;
  }
  return {
    name: 'baseline',
    pid: child.pid!,
    xdsPort: port,
    tail: () => [...tail],
    push(resources: readonly string[]): Promise<number> {
      return waiters.request((id) => {
        if (!child.connected) throw new Error('baseline server gone');
        // An IPC error (the child exiting meanwhile) goes to this callback instead of an unhandled 'error' event.
        child.send({ op: 'push', id, resources }, (error) => {
          if (error) waiters.settle(id, -1);
        });
      });
    },
    stop: () => stopChild(child),
  };
}
