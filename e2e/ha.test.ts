import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { ContinuityMesh } from './support/continuity-mesh.ts';
import { startTestMeshpilot } from './support/meshpilot-process.ts';
import { tempDir } from './support/mesh-fixture.ts';
import { RpcLoad } from './support/rpc-load.ts';
import { eventually } from './support/eventually.ts';

grpcXds.register();

type Meshpilot = Awaited<ReturnType<typeof startTestMeshpilot>>;

async function proxiesOn(replica: Meshpilot): Promise<string[]> {
  const syncz = (await (await fetch(`${replica.adminUrl}/debug/syncz`)).json()) as { proxy: string }[];
  return syncz.map((s) => s.proxy.split('~')[2]!.split('.')[0]!).sort();
}

/**
 * Two meshpilot replicas watching the same kube clusters. Each client lists both replicas
 * (grpc's `ipv4:` target, pick_first), in an order that spreads clients across them.
 */
describe('HA: two meshpilot replicas', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let mesh: ContinuityMesh;
  const replicas: (Meshpilot | undefined)[] = [];
  const clients: grpc.Client[] = [];
  const loads: RpcLoad[] = [];

  beforeEach(async () => {
    dir = await tempDir('ha');
    mesh = await ContinuityMesh.create(dir.path, {
      'cluster-a': { zone: 'zone-a', ips: ['127.0.1.1', '127.0.1.2'] },
      'cluster-b': { zone: 'zone-b', ips: ['127.0.2.1'] },
    });
  });

  afterEach(async () => {
    for (const load of loads.splice(0)) await load.stop();
    for (const client of clients.splice(0)) client.close();
    for (const replica of replicas.splice(0)) await replica?.stop();
    await mesh.close();
    await dir.remove();
  });

  const startReplica = (xdsPort?: number): Promise<Meshpilot> =>
    startTestMeshpilot(dir.path, {
      clusters: mesh.kubeClusters(),
      xdsServer: { maxConnectionAgeMs: 2_000, maxConnectionAgeGraceMs: 500 },
      ...(xdsPort !== undefined ? { xdsPort } : {}),
    });

  it('killing a replica moves its clients to the other with no failed RPC; max connection age rebalances them back', async () => {
    const [one, two] = [await startReplica(), await startReplica()];
    replicas.push(one, two);
    const portOne = one.xdsPort!;
    const both = (first: Meshpilot, second: Meshpilot): string =>
      `ipv4:127.0.0.1:${first.xdsPort},127.0.0.1:${second.xdsPort}`;
    for (const [id, uri] of [
      ['client-1', both(one, two)],
      ['client-2', both(two, one)],
    ] as const) {
      const client = mesh.client(uri, 'zone-a', id);
      clients.push(client);
      loads.push(new RpcLoad(client, { intervalMs: 20 }));
    }
    for (const load of loads) await load.next(20);
    await eventually(
      async () => (await proxiesOn(one)).includes('client-1') && (await proxiesOn(two)).includes('client-2'),
      'clients spread over both replicas',
    );

    await one.stop();
    replicas[0] = undefined;
    await eventually(
      async () => (await proxiesOn(two)).join() === 'client-1,client-2',
      'client-1 to reconnect to the other replica',
    );
    for (const load of loads) await load.next(30);

    // The replica comes back; connections age out on the survivor and client-1 returns to its first choice.
    const back = await startReplica(portOne);
    replicas[0] = back;
    await eventually(
      async () => (await proxiesOn(back)).includes('client-1'),
      'max connection age to rebalance client-1',
    );
    for (const load of loads) await load.next(20);

    const failures = loads.flatMap((load) => load.failures);
    const total = loads.reduce((sum, load) => sum + load.total(), 0);
    console.log(`HA: ${total} RPCs across 2 clients, ${failures.length} failed`);
    expect(failures).toEqual([]);
  });
});
