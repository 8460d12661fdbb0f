import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './child-process.ts';
import { stopChild, type ServerProcess } from './meshpilot-server.ts';
import { PushWaiters } from './push-waiters.ts';

/**
 * The go-control-plane peer (interop/gcp-peer: an ADS server on go-control-plane's SnapshotCache for
 * CDS and LinearCache for EDS) in its own process, serving the responses recorded from meshpilot,
 * driven over JSON lines on its stdin/stdout.
 */

export const PEER_NAME = 'go-control-plane';

export interface PeerProcess extends ServerProcess {
  /** go-control-plane's module version and the Go version it was built with. */
  readonly version: string;
  /** A new version of each named EDS resource in every view that has it; resolves with the watches woken. */
  push(resources: readonly string[]): Promise<number>;
  /** A service change: a new CDS snapshot version in every view (one cluster changed); resolves with the views. */
  changeClusters(): Promise<number>;
}

/** The built peer binary: `bash interop/gcp-peer/build.sh` (a hash check when it is already built). */
export function peerBinary(): string {
  const build = spawnSync('bash', [join(REPO_ROOT, 'interop', 'gcp-peer', 'build.sh')], { encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(
      `MESHPILOT_BENCH_ERR_PEER: interop/gcp-peer/build.sh failed (needs Go and the Go module proxy): ${(build.stderr || build.stdout).slice(-600)}`,
    );
  }
  const dir = join(REPO_ROOT, '.cache', 'harness', 'gcp-peer');
  const binary = join(dir, 'bin', 'gcp-peer');
  if (!existsSync(join(dir, '.built')) || !existsSync(binary)) {
    throw new Error(`MESHPILOT_BENCH_ERR_PEER: interop/gcp-peer/build.sh left no ${binary}`);
  }
  return binary;
}

export async function startPeer(recordingDir: string, timeoutMs: number): Promise<PeerProcess> {
  const child = spawn(peerBinary(), ['--recording', recordingDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const tail: string[] = [];
  // EPIPE when the peer exited before a write: the write's callback reports it, not an unhandled 'error' event.
  child.stdin.on('error', (error: Error) => tail.push(`stdin: ${error.message}`));
  child.stderr.on('data', (chunk: Buffer) => {
    tail.push(chunk.toString('utf8').slice(0, 400));
    if (tail.length > 20) tail.shift();
  });
  const waiters = new PushWaiters();
  const ready = new Promise<{ port: number; version: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${PEER_NAME} peer not ready within ${timeoutMs} ms: ${tail.join('')}`)),
      timeoutMs,
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      let message: { ready?: boolean; port?: number; version?: string; id?: number; sent?: number };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        tail.push(line.slice(0, 400));
        return;
      }
      if (message.ready && message.port !== undefined) {
        clearTimeout(timer);
        resolve({ port: message.port, version: message.version ?? 'unknown' });
      } else if (message.id !== undefined) {
        waiters.settle(message.id, message.sent ?? 0);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${PEER_NAME} peer exited (code ${String(code)}): ${tail.join('')}`));
    });
  });
  ready.catch(() => undefined);
  let started: { port: number; version: string };
  try {
    started = await ready;
  } catch (error: unknown) {
    await stopChild(child, 2_000);
    throw error;
  }
  return {
    name: PEER_NAME,
    pid: child.pid!,
    xdsPort: started.port,
    version: started.version,
    tail: () => [...tail],
    push(resources: readonly string[]): Promise<number> {
      return waiters.request((id) => {
        if (!child.stdin.writable) throw new Error(`${PEER_NAME} peer gone`);
        child.stdin.write(`${JSON.stringify({ op: 'push', id, resources })}\n`, (error) => {
          if (error) waiters.settle(id, -1);
        });
      });
    },
    changeClusters(): Promise<number> {
      return waiters.request((id) => {
        if (!child.stdin.writable) throw new Error(`${PEER_NAME} peer gone`);
        child.stdin.write(`${JSON.stringify({ op: 'cds', id })}\n`, (error) => {
          if (error) waiters.settle(id, -1);
        });
      });
    },
    stop: async () => {
      child.stdin.end();
      await stopChild(child, 5_000);
    },
  };
}
