import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { ContinuityMesh } from './support/continuity-mesh.ts';
import { EdsFollower } from './support/eds-follower.ts';
import { HELLO_ENVOY_CLUSTER } from './support/kube-sim-clusters.ts';
import { startTestMeshpilot } from './support/meshpilot-process.ts';
import { tempDir } from './support/mesh-fixture.ts';
import { RpcLoad, servedSince } from './support/rpc-load.ts';

grpcXds.register();

type Meshpilot = Awaited<ReturnType<typeof startTestMeshpilot>>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The seed's continuity story as tests: helloworld in cluster-a (the client's zone) and cluster-b;
 * a proxyless gRPC client under steady load; pods die, migrate, or meshpilot itself restarts.
 */
describe('continuity under load', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let mesh: ContinuityMesh;
  let meshpilot: Meshpilot | undefined;
  let follower: EdsFollower | undefined;
  let client: grpc.Client | undefined;
  let load: RpcLoad | undefined;

  const start = async (
    layout: Record<string, { zone: string; ips: string[] }>,
    xdsPort?: number,
  ): Promise<Meshpilot> => {
    mesh ??= await ContinuityMesh.create(dir.path, layout);
    return startTestMeshpilot(dir.path, {
      clusters: mesh.kubeClusters(),
      ...(xdsPort !== undefined ? { xdsPort } : {}),
    });
  };

  beforeEach(async () => {
    dir = await tempDir('continuity');
  });

  afterEach(async () => {
    await load?.stop();
    client?.close();
    follower?.close();
    await meshpilot?.stop();
    await mesh?.close();
    await dir.remove();
    load = undefined;
    client = undefined;
    follower = undefined;
    meshpilot = undefined;
    mesh = undefined as unknown as ContinuityMesh;
  });

  it('(a) all of cluster-a’s pods die: traffic fails over to cluster-b with no failed RPC, and no push empties the service', async () => {
    meshpilot = await start({
      'cluster-a': { zone: 'zone-a', ips: ['127.0.1.1', '127.0.1.2'] },
      'cluster-b': { zone: 'zone-b', ips: ['127.0.2.1', '127.0.2.2'] },
    });
    follower = EdsFollower.connect(
      meshpilot.xdsAddress,
      'sidecar~127.0.0.8~watcher.sample~sample.svc.cluster.local',
      { CLUSTER_ID: 'cluster-a' },
      HELLO_ENVOY_CLUSTER,
    );
    client = mesh.client(meshpilot.xdsAddress, 'zone-a');
    load = new RpcLoad(client);
    await load.next(30);
    const warm = load.counts();
    expect([...warm.keys()].every((server) => server.startsWith('127.0.1.'))).toBe(true);

    await mesh.killPods('cluster-a');
    await sleep(200);
    for (const pod of mesh.clusters.get('cluster-a')!.pods) pod.ready = false;
    mesh.publish('cluster-a');
    await follower.waitFor(
      (a) => a.length === 2 && a.every((x) => x.startsWith('127.0.2.')),
      'only cluster-b endpoints',
    );
    const failedOver = load.counts();
    await load.next(50);
    await load.stop();

    const after = servedSince(failedOver, load.counts());
    expect([...after.keys()].sort()).toEqual(['127.0.2.1', '127.0.2.2']);
    console.log(`continuity (a): ${load.total()} RPCs, ${load.failures.length} failed`);
    expect(load.failures).toEqual([]);
    expect(follower.updates.length).toBeGreaterThan(1);
    expect(follower.updates.every((u) => u.addresses.length > 0)).toBe(true);
  });

  it('(b) Karmada-style migration: replicas move from cluster-a to cluster-b, new ready before old go, no failed RPC', async () => {
    meshpilot = await start({
      'cluster-a': { zone: 'zone-a', ips: ['127.0.1.1', '127.0.1.2'] },
      'cluster-b': { zone: 'zone-b', ips: [] },
    });
    follower = EdsFollower.connect(
      meshpilot.xdsAddress,
      'sidecar~127.0.0.8~watcher.sample~sample.svc.cluster.local',
      { CLUSTER_ID: 'cluster-a' },
      HELLO_ENVOY_CLUSTER,
    );
    client = mesh.client(meshpilot.xdsAddress, 'zone-a');
    load = new RpcLoad(client);
    await load.next(30);

    // Karmada schedules the replicas in cluster-b; they become ready first.
    await mesh.addPod('cluster-b', '127.0.2.1');
    await mesh.addPod('cluster-b', '127.0.2.2');
    await follower.waitFor((a) => a.filter((x) => x.startsWith('127.0.2.')).length === 2, 'cluster-b endpoints');
    await load.next(20);

    // Then the old replicas terminate: draining first, removed from the slice, processes stop last.
    const old = mesh.clusters.get('cluster-a')!.pods;
    for (const pod of old) {
      pod.ready = false;
      pod.terminating = true;
    }
    mesh.publish('cluster-a');
    await sleep(300);
    mesh.clusters.get('cluster-a')!.pods = [];
    mesh.publish('cluster-a');
    await follower.waitFor(
      (a) => a.length === 2 && a.every((x) => x.startsWith('127.0.2.')),
      'only cluster-b endpoints',
    );
    await mesh.stopServers(old);
    const migrated = load.counts();
    await load.next(40);
    await load.stop();

    expect([...servedSince(migrated, load.counts()).keys()].sort()).toEqual(['127.0.2.1', '127.0.2.2']);
    console.log(`continuity (b): ${load.total()} RPCs, ${load.failures.length} failed`);
    expect(load.failures).toEqual([]);
    expect(follower.updates.every((u) => u.addresses.length > 0)).toBe(true);
  });

  it('(c) meshpilot restarts under load: clients serve from their last config, then reconverge', async () => {
    meshpilot = await start({
      'cluster-a': { zone: 'zone-a', ips: ['127.0.1.1'] },
      'cluster-b': { zone: 'zone-b', ips: ['127.0.2.1'] },
    });
    const port = meshpilot.xdsPort!;
    client = mesh.client(meshpilot.xdsAddress, 'zone-a');
    load = new RpcLoad(client);
    await load.next(30);

    await meshpilot.stop();
    meshpilot = undefined;
    await load.next(50); // the control plane is gone: RPCs keep flowing on the last config
    meshpilot = await start({}, port);
    // Reconverged: a pod added after the restart receives traffic.
    await mesh.addPod('cluster-a', '127.0.1.2');
    const deadline = Date.now() + 20_000;
    while (!(load.served.get('127.0.1.2') ?? 0) && Date.now() < deadline) await load.next(5);
    await load.stop();
    expect(load.served.get('127.0.1.2') ?? 0).toBeGreaterThan(0);
    const synced = (await (await fetch(`${meshpilot.adminUrl}/debug/syncz`)).json()) as {
      proxy: string;
      types: Record<string, { status: string }>;
    }[];
    expect(synced.find((p) => p.proxy.includes('client-0'))?.types.cds?.status).toBe('SYNCED');
    console.log(`continuity (c): ${load.total()} RPCs, ${load.failures.length} failed`);
    expect(load.failures).toEqual([]);
  });
});
