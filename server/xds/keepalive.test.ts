import { createServer, connect, type Socket } from 'node:net';
import { Server } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { AdsTestClient, node } from '../../e2e/support/ads-client.ts';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import { XdsHarness } from '../../e2e/support/xds-harness.ts';
import { CLUSTER_TYPE } from '../../protos/type-urls.ts';
import { keepaliveServerOptions } from './keepalive.ts';
import { listenGrpc } from './xds-server.ts';

/** A loopback TCP relay that can freeze: the peer's host "vanishes" (nothing answered, nothing closed). */
async function freezableRelay(target: number): Promise<{ port: number; freeze: () => void; close: () => void }> {
  const sockets: Socket[] = [];
  let frozen = false;
  const server = createServer((inbound) => {
    const outbound = connect(target, '127.0.0.1');
    sockets.push(inbound, outbound);
    inbound.on('data', (chunk) => frozen || outbound.write(chunk));
    outbound.on('data', (chunk) => frozen || inbound.write(chunk));
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    freeze: () => (frozen = true),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('HTTP/2 keepalive on the ADS port (issue 13 point 5)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  async function deadPeer(keepalive: boolean): Promise<{ connected: number; cancelled: number }> {
    const harness = await XdsHarness.start();
    cleanups.push(() => harness.stop());
    harness.publish(snapshotOf([{ name: 'a', port: 5000, clusterIP: '10.96.0.1', endpoints: [{ ip: '10.1.0.1' }] }]));
    const server = new Server(
      keepaliveServerOptions({ keepaliveTimeMs: keepalive ? 200 : 0, keepaliveTimeoutMs: 200 }),
    );
    harness.xds.addTo(server);
    const port = await listenGrpc(server, '127.0.0.1:0');
    cleanups.push(() => server.forceShutdown());
    const relay = await freezableRelay(port);
    cleanups.push(() => relay.close());
    const client = new AdsTestClient(`127.0.0.1:${relay.port}`);
    cleanups.push(() => client.close());
    client.send({ node: node('sidecar~127.0.0.9~gone.default~default.svc.cluster.local'), type_url: CLUSTER_TYPE });
    await client.responses.next();
    expect(harness.xds.connected()).toHaveLength(1);
    relay.freeze();
    const deadline = Date.now() + 2_000;
    while (harness.xds.connected().length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const cancelled = (await harness.metrics.cancelledStreams.get()).values[0]?.value ?? 0;
    return { connected: harness.xds.connected().length, cancelled };
  }

  it('closes and counts a peer that stopped answering (keepalive 200 ms / 200 ms)', async () => {
    expect(await deadPeer(true)).toEqual({ connected: 0, cancelled: 1 });
  });

  it('without keepalive the vanished peer stays "connected" (what issue 13 saw)', async () => {
    expect(await deadPeer(false)).toEqual({ connected: 1, cancelled: 0 });
  });
});
