import { describe, expect, it } from 'vitest';
import { serviceManifests } from '../e2e/support/mesh-fixture.ts';
import { reduceEndpointSlice, reducePod, reduceService } from '../server/registry/reduce.ts';
import { buildSnapshot, buildSnapshotIncremental } from './build-snapshot.ts';
import type { KubeClusterObjects, SnapshotInput } from './inputs.ts';
import type { EndpointSliceRecord } from './types.ts';

function clusterOf(
  name: string,
  network: string,
  services: { name: string; ips: string[] }[],
): KubeClusterObjects & { endpointSlices: Map<string, EndpointSliceRecord> } {
  const docs = services.flatMap((s, i) =>
    serviceManifests({
      name: s.name,
      port: 5000,
      clusterIP: `10.96.0.${i + 1}`,
      endpoints: s.ips.map((ip) => ({ ip, labels: { 'security.istio.io/tlsMode': 'istio' } })),
    }),
  );
  const keyed = <T>(kind: string, reduce: (d: unknown) => T) =>
    new Map(
      docs.filter((d) => d.kind === kind).map((d) => [`default/${(d.metadata as { name: string }).name}`, reduce(d)]),
    );
  return {
    name,
    network,
    services: keyed('Service', reduceService),
    endpointSlices: keyed('EndpointSlice', reduceEndpointSlice),
    pods: keyed('Pod', reducePod),
    nodes: new Map(),
  };
}

const MESH_NETWORKS = { networks: {} };
const input = (clusters: KubeClusterObjects[]): SnapshotInput => ({
  domainSuffix: 'cluster.local',
  trustDomain: 'cluster.local',
  meshNetworks: MESH_NETWORKS,
  kubeClusters: clusters,
});

describe('buildSnapshot', () => {
  it('merges a service present in several kube clusters by namespace/name, with each cluster’s endpoints and network', () => {
    const snapshot = buildSnapshot(
      input([
        clusterOf('a', 'net-a', [{ name: 'hello', ips: ['10.0.0.1'] }]),
        clusterOf('b', 'net-b', [{ name: 'hello', ips: ['10.1.0.1', '10.1.0.2'] }]),
      ]),
    );
    const hello = snapshot.services.get('hello.default.svc.cluster.local')!;
    expect(hello.kubeClusters).toEqual(['a', 'b']);
    expect(hello.vips).toEqual({ a: '10.96.0.1', b: '10.96.0.1' });
    expect(
      snapshot.endpoints
        .get(hello.hostname)!
        .get(5000)!
        .map((e) => [e.kubeCluster, e.address, e.network, e.tlsMode]),
    ).toEqual([
      ['a', '10.0.0.1', 'net-a', 'istio'],
      ['b', '10.1.0.1', 'net-b', 'istio'],
      ['b', '10.1.0.2', 'net-b', 'istio'],
    ]);
    expect(snapshot.workloadsByIp.get('10.1.0.2')?.[0]?.kubeCluster).toBe('b');
  });

  it('incrementally: reuses every service whose input records are the same objects, rebuilds the others', () => {
    const a = clusterOf('a', 'net-a', [
      { name: 'one', ips: ['10.0.0.1'] },
      { name: 'two', ips: ['10.0.0.2'] },
    ]);
    const first = buildSnapshotIncremental(input([a]), undefined);
    const again = buildSnapshotIncremental(input([a]), first.memo);
    expect(again.snapshot.services.get('one.default.svc.cluster.local')).toBe(
      first.snapshot.services.get('one.default.svc.cluster.local'),
    );
    expect(again.snapshot.workloadsByIp).toBe(first.snapshot.workloadsByIp);

    const slice = a.endpointSlices.get('default/two-slice')!;
    a.endpointSlices.set('default/two-slice', {
      ...slice,
      endpoints: [{ ...slice.endpoints[0]!, addresses: ['10.0.0.9'] }],
    });
    const changed = buildSnapshotIncremental(input([a]), again.memo);
    expect(changed.snapshot.endpoints.get('one.default.svc.cluster.local')).toBe(
      first.snapshot.endpoints.get('one.default.svc.cluster.local'),
    );
    expect(
      changed.snapshot.endpoints
        .get('two.default.svc.cluster.local')!
        .get(5000)!
        .map((e) => e.address),
    ).toEqual(['10.0.0.9']);
    // The same result as a build from scratch.
    expect(changed.snapshot).toEqual(buildSnapshot(input([a])));
  });
});
