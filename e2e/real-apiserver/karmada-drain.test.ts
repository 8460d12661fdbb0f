import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { decodeCsds, fetchClientStatus, startCsds } from '../interop/support/csds.ts';
import { GreeterMesh } from '../support/greeter-mesh.ts';
import { startGreeter, type GreeterServer } from '../support/helloworld.ts';
import {
  HELLO_ENVOY_CLUSTER,
  HELLO_NAMESPACE,
  startSimCluster,
  type SimCluster,
} from '../support/kube-sim-clusters.ts';
import { nodeManifest, serviceManifests } from '../support/mesh-fixture.ts';
import { startRealKubeClusters, type RealKubeCluster } from '../support/real-kube-cluster.ts';
import { clusterz, startRealMeshpilot, until } from '../support/real-meshpilot.ts';
import { RpcLoad, servedSince } from '../support/rpc-load.ts';

grpcXds.register();

/**
 * karmada.drainNotReady: a Karmada control plane on a real kube-apiserver (the Cluster CRD of
 * fixtures/) with two Push-mode Clusters, member-a and member-b, whose API servers are kube-sims
 * holding helloworld with pods that are real gRPC servers on loopback addresses (a real API server
 * refuses 127.0.0.0/8 in EndpointSlices; karmada.test.ts covers real member API servers). A proxyless grpc-js-xds client
 * in this process runs steady load; Karmada taints member-b NoExecute (as its cluster controller does
 * when the cluster stops answering): meshpilot sends member-b's endpoints at a lower priority (read
 * from the client's own CSDS), the load moves to member-a with no failed RPC, member-b's pods can go,
 * and when the taint is lifted member-b serves again.
 */

const TARGET = 'xds:///helloworld.sample.svc.cluster.local:5000';
const PROXY = 'sidecar~127.0.17.100~client-0.sample~sample.svc.cluster.local';
const SECRET_NAMESPACE = 'karmada-cluster';
const IPS = { a: ['127.0.17.1', '127.0.17.2'], b: ['127.0.17.11', '127.0.17.12'] } as const;
const TAINT = 'cluster.karmada.io/not-ready';

/** Priority per endpoint address in the helloworld ClusterLoadAssignment the client holds (its CSDS). */
async function clientPriorities(csds: grpc.Client): Promise<Record<string, number>> {
  const assignment = decodeCsds(await fetchClientStatus(csds)).find(
    (r) => r.typeUrl.endsWith('ClusterLoadAssignment') && r.name === HELLO_ENVOY_CLUSTER,
  )?.object as
    | {
        endpoints?: {
          priority?: number;
          lb_endpoints?: { endpoint?: { address?: { socket_address?: { address?: string } } } }[];
        }[];
      }
    | undefined;
  const out: Record<string, number> = {};
  for (const group of assignment?.endpoints ?? [])
    for (const lb of group.lb_endpoints ?? [])
      out[lb.endpoint?.address?.socket_address?.address ?? ''] = group.priority ?? 0;
  return out;
}

const expected = (b: number): Record<string, number> => ({
  [IPS.a[0]]: 0,
  [IPS.a[1]]: 0,
  [IPS.b[0]]: b,
  [IPS.b[1]]: b,
});

describe('Karmada drain (karmada.drainNotReady) on real kube-apiservers', { timeout: 180_000 }, () => {
  let mesh: GreeterMesh;
  let karmada: RealKubeCluster;
  let meshpilot: Awaited<ReturnType<typeof startRealMeshpilot>>;
  let servers: GreeterServer[] = [];
  let port: number;
  let client: grpc.Client;
  let csds: grpc.Client;
  let load: RpcLoad | undefined;

  const startServers = async (ips: readonly string[]): Promise<GreeterServer[]> =>
    Promise.all(ips.map((ip) => mesh.greeter(ip, port)));

  /** Sets member-b's Karmada Cluster taints (as Karmada's cluster controller does). */
  const taintMemberB = (taints: readonly { key: string; effect: string }[]) =>
    karmada.kubectl([
      'patch',
      'clusters.cluster.karmada.io',
      'member-b',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { taints } }),
    ]);

  /** Waits until the client's EDS holds member-a's endpoints at priority 0 and member-b's at `b`. */
  const untilPriorities = (b: number, what: string) =>
    until(
      async () => (JSON.stringify(await clientPriorities(csds)) === JSON.stringify(expected(b)) ? true : undefined),
      what,
      60_000,
    );

  beforeAll(async () => {
    mesh = await GreeterMesh.create('karmada-drain');
    [karmada] = (await startRealKubeClusters(mesh.dir, [{ name: 'karmada' }])) as [RealKubeCluster];
    mesh.defer(() => karmada.stop());
    const probe = await startGreeter(IPS.a[0]);
    port = probe.port;
    await probe.stop();
    servers = await startServers([...IPS.a, ...IPS.b]);

    await karmada.kubectl(['apply', '-f', join(import.meta.dirname, 'fixtures', 'karmada-cluster-crd.yaml')]);
    await karmada.waitForCrdsEstablished(['crd/clusters.cluster.karmada.io']);
    await karmada.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRET_NAMESPACE } }]);
    for (const tag of ['a', 'b'] as const) {
      const member: SimCluster = await startSimCluster(mesh.dir, `member-${tag}`, [
        nodeManifest({ name: `node-${tag}`, region: 'region-1', zone: `zone-${tag}` }),
        ...serviceManifests({
          name: 'helloworld',
          namespace: HELLO_NAMESPACE,
          port: 5000,
          targetPort: port,
          clusterIP: '10.96.0.10',
          endpoints: IPS[tag].map((ip, i) => ({ ip, pod: `helloworld-${tag}-${i}`, node: `node-${tag}` })),
        }),
      ]);
      mesh.defer(() => member.sim.stop());
      // Karmada's cluster Secret: the member's (read-only) token and CA.
      const reader = parse(member.sim.kubeconfigFor(member.sim.readOnlyToken)) as {
        clusters: { cluster: { 'certificate-authority-data': string } }[];
        users: { user: { token: string } }[];
      };
      await karmada.apply([
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: `member-${tag}`, namespace: SECRET_NAMESPACE },
          data: {
            token: Buffer.from(reader.users[0]?.user.token ?? '').toString('base64'),
            caBundle: reader.clusters[0]?.cluster['certificate-authority-data'] ?? '',
          },
        },
        {
          apiVersion: 'cluster.karmada.io/v1alpha1',
          kind: 'Cluster',
          metadata: { name: `member-${tag}` },
          spec: {
            syncMode: 'Push',
            apiEndpoint: member.sim.url,
            secretRef: { namespace: SECRET_NAMESPACE, name: `member-${tag}` },
          },
        },
      ]);
    }
    meshpilot = mesh.serve(
      await startRealMeshpilot(mesh.dir, {
        clusters: [],
        karmada: { kubeconfig: karmada.kubeconfigPath, drainNotReady: true },
        resyncMs: 3_600_000,
      }),
    );
    const status = await startCsds();
    mesh.defer(() => status.server.forceShutdown());
    mesh.defer(() => status.client.close());
    csds = status.client;
    client = mesh.client(TARGET, {
      id: PROXY,
      metadata: { CLUSTER_ID: 'member-a', NAMESPACE: HELLO_NAMESPACE },
      locality: { region: 'region-1', zone: 'zone-a' },
    });
  }, 300_000);

  afterAll(async () => {
    await load?.stop();
    await mesh?.stop();
  }, 60_000);

  it('sends a tainted Cluster’s endpoints behind the healthy one’s: load moves with no failed RPC, and back when untainted', async () => {
    // Both Clusters added: the client (its channel resolves on the first RPC) holds all four endpoints at
    // priority 0, and both kube clusters serve.
    load = new RpcLoad(client, { intervalMs: 5, maxRpcs: 20_000, maxMs: 150_000 });
    await load.next(1, 60_000);
    await untilPriorities(0, 'both member kube clusters’ endpoints at priority 0 in the client’s EDS');
    await load.next(80);
    expect([...load.counts().keys()].sort()).toEqual([...IPS.a, ...IPS.b].sort());

    // Karmada taints member-b for eviction: its endpoints go to priority 1 for the client, and /debug says why.
    await taintMemberB([{ key: TAINT, effect: 'NoExecute' }]);
    await untilPriorities(1, 'member-b’s endpoints at priority 1 in the client’s EDS');
    const reason = `Karmada Cluster member-b tainted NoExecute ${TAINT}`;
    expect((await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'member-b')?.draining).toBe(reason);
    expect((await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'member-a')?.draining).toBeUndefined();
    const endpointz = (await (await fetch(`${meshpilot.adminUrl}/debug/endpointz`)).json()) as Record<
      string,
      Record<string, { kubeCluster: string; draining?: string }[]>
    >;
    expect(
      endpointz['helloworld.sample.svc.cluster.local']?.['5000']?.map((e) => [e.kubeCluster, e.draining ?? '']),
    ).toEqual([
      ['member-a', ''],
      ['member-a', ''],
      ['member-b', reason],
      ['member-b', reason],
    ]);
    const explained = (await (
      await fetch(
        `${meshpilot.adminUrl}/debug/explain?proxyID=${encodeURIComponent(PROXY)}&service=helloworld.sample.svc.cluster.local`,
      )
    ).json()) as { endpoints: { workload: string; priority: number; reason: string }[] };
    const ofB = explained.endpoints.find((e) => e.workload === `${IPS.b[0]}:${port}`);
    expect(ofB?.priority).toBe(1);
    expect(ofB?.reason).toContain(reason);

    // The client's picker follows its EDS within a few RPCs (calls already picked finish where they went).
    await load.next(10);
    const drained = load.counts();
    await load.next(80);
    expect([...servedSince(drained, load.counts()).keys()].sort()).toEqual([...IPS.a]);

    // Karmada evicts member-b's pods: nothing notices.
    const evicted = servers.filter((server) => (IPS.b as readonly string[]).includes(server.address));
    await Promise.all(evicted.map((server) => server.kill()));
    await load.next(80);

    // member-b recovers: its pods are back, the taint is lifted, and it serves again at priority 0.
    servers = [...servers.filter((server) => !evicted.includes(server)), ...(await startServers(IPS.b))];
    await taintMemberB([]);
    await untilPriorities(0, 'member-b’s endpoints back at priority 0');
    expect((await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'member-b')?.draining).toBeUndefined();
    // member-b's connections come back after the client's reconnect backoff (grpc-js: 1 s growing 1.6×).
    const back = load.counts();
    await until(
      async () => (servedSince(back, load!.counts()).size === 4 ? true : undefined),
      'every endpoint of both member kube clusters serving again',
      60_000,
    );
    await load.stop();
    expect([...servedSince(back, load.counts()).keys()].sort()).toEqual([...IPS.a, ...IPS.b].sort());
    console.log(`karmada drain: ${load.total()} RPCs, ${load.failures.length} failed`);
    expect(load.failures).toEqual([]);
  });
});
