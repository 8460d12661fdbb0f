import { writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CLUSTER_TYPE } from '../protos/type-urls.ts';
import { status } from '@grpc/grpc-js';
import { AdsTestClient, node } from './support/ads-client.ts';
import { tempDir, writeCluster } from './support/mesh-fixture.ts';
import { startTestMeshpilot } from './support/meshpilot-process.ts';

const READINESS_TIMEOUT_MS = 3_000;

/** An "API server" that accepts TCP connections and never answers (issue 13: a hung member kube cluster). */
async function startHungServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startup with a member API server that accepts TCP and never answers', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let hung: { port: number; close(): Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('startup-hung');
    hung = await startHungServer();
    await writeCluster(join(dir.path, 'cluster-a'), [
      { name: 'helloworld', namespace: 'sample', port: 5000, endpoints: [{ ip: '10.10.0.1', pod: 'helloworld-0' }] },
    ]);
    await writeFile(
      join(dir.path, 'hung.kubeconfig'),
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'hung', cluster: { server: `https://127.0.0.1:${hung.port}`, 'insecure-skip-tls-verify': true } },
        ],
        users: [{ name: 'hung', user: { token: 'never-used' } }],
        contexts: [{ name: 'hung', context: { cluster: 'hung', user: 'hung' } }],
        'current-context': 'hung',
      }),
    );
  });
  afterAll(async () => {
    await hung.close();
    await dir.remove();
  });

  it('serves the xDS port before the readiness timeout, and the other kube cluster as soon as the hung one times out', async () => {
    const xdsPort = await freePort();
    const started = performance.now();
    let portUpMs: number | undefined;
    let runtimeDone = false;
    const starting = startTestMeshpilot(dir.path, {
      clusters: [
        { name: 'cluster-a', manifests: join(dir.path, 'cluster-a') },
        { name: 'cluster-hung', kubeconfig: join(dir.path, 'hung.kubeconfig') },
      ],
      readiness: { remoteClusterTimeoutMs: READINESS_TIMEOUT_MS },
      xdsPort,
    }).finally(() => {
      runtimeDone = true;
    });
    // Bounded: at most ~60 s of 20 ms polls.
    for (let attempt = 0; attempt < 3_000 && portUpMs === undefined && !runtimeDone; attempt += 1) {
      if (await accepts(xdsPort)) portUpMs = performance.now() - started;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // A stream opened before the first snapshot is refused (as istiod) rather than answered with nothing.
    let early: { code: number; details: string } | undefined;
    if (portUpMs !== undefined && !runtimeDone) {
      const client = new AdsTestClient(`127.0.0.1:${xdsPort}`);
      client.send({ node: node('sidecar~10.10.0.9~early.sample~sample.svc.cluster.local'), type_url: CLUSTER_TYPE });
      early = await client.status();
      client.close();
    }
    const runtime = await starting;
    const startedMs = performance.now() - started;
    portUpMs ??= startedMs;
    try {
      process.stdout.write(
        `startup with a hung API server: xDS port accepting after ${Math.round(portUpMs)} ms, runtime started after ${Math.round(startedMs)} ms (readiness timeout ${READINESS_TIMEOUT_MS} ms)\n`,
      );
      expect(portUpMs).toBeLessThan(READINESS_TIMEOUT_MS);
      expect(early?.code).toBe(status.UNAVAILABLE);
      expect(early?.details).toContain('not ready to serve discovery information');
      // The healthy kube cluster is in the first snapshot; the hung one is not synced and does not hold it back.
      expect([...(runtime.cache.currentSnapshot()?.services.keys() ?? [])].join()).toContain('helloworld.sample');
      const health = await (await fetch(`${runtime.adminUrl}/debug/clusterz`)).json();
      const byName = new Map((health as { name: string; state: string }[]).map((h) => [h.name, h.state]));
      expect(byName.get('cluster-a')).toBe('synced');
      expect(byName.get('cluster-hung')).not.toBe('synced');
      // Readiness follows the configured timeout, not the hung server.
      const deadline = Date.now() + READINESS_TIMEOUT_MS + 5_000;
      let ready = 0;
      while (ready !== 200 && Date.now() < deadline) {
        ready = (await fetch(`${runtime.adminUrl}/readyz`)).status;
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(ready).toBe(200);
    } finally {
      await runtime.stop();
    }
  }, 90_000);
});
