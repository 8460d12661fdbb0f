import { describe, expect, it } from 'vitest';
import { serviceManifests } from '../e2e/support/mesh-fixture.ts';
import { reduceEndpointSlice, reducePod, reduceService } from '../server/registry/reduce.ts';
import { istioObject } from '../translators/test-support/istio-config.ts';
import { buildSnapshot, buildSnapshotIncremental } from './build-snapshot.ts';
import type { KubeClusterObjects, SnapshotInput } from './inputs.ts';
import { buildIstioConfigSet } from './istio/config-set.ts';
import type { IstioConfig, WorkloadEntrySpec } from './istio/types.ts';

function cluster(name: string, service: { targetPort?: number | string; headless?: boolean } = {}): KubeClusterObjects {
  const docs = serviceManifests({
    name: 'vm',
    port: 8080,
    portName: 'http',
    endpoints: [{ ip: `10.${name === 'a' ? 1 : 2}.0.1`, labels: { 'security.istio.io/tlsMode': 'istio' } }],
  });
  const svc = docs[0] as { spec: Record<string, unknown> };
  if (service.targetPort !== undefined)
    svc.spec.ports = [{ name: 'http', port: 8080, targetPort: service.targetPort, protocol: 'TCP' }];
  if (service.headless) svc.spec.clusterIP = 'None';
  const keyed = <T>(kind: string, reduce: (d: unknown) => T) =>
    new Map(
      docs.filter((d) => d.kind === kind).map((d) => [`default/${(d.metadata as { name: string }).name}`, reduce(d)]),
    );
  return {
    name,
    network: `net-${name}`,
    services: keyed('Service', reduceService),
    endpointSlices: keyed('EndpointSlice', reduceEndpointSlice),
    pods: keyed('Pod', reducePod),
    nodes: new Map(),
  };
}

function entry(name: string, spec: WorkloadEntrySpec, kubeCluster?: string): IstioConfig<'WorkloadEntry'> {
  const object = istioObject('WorkloadEntry', 'default', name, spec);
  return kubeCluster ? { ...object, meta: { ...object.meta, origin: { type: 'kube', kubeCluster } } } : object;
}

function input(clusters: KubeClusterObjects[], entries: IstioConfig<'WorkloadEntry'>[]): SnapshotInput {
  return {
    domainSuffix: 'cluster.local',
    trustDomain: 'cluster.local',
    meshNetworks: MESH_NETWORKS,
    kubeClusters: clusters,
    istioConfig: buildIstioConfigSet(entries),
  };
}

const MESH_NETWORKS = { networks: {} };
const HOST = 'vm.default.svc.cluster.local';

function endpointsOf(snapshotInput: SnapshotInput) {
  return (buildSnapshot(snapshotInput).endpoints.get(HOST)?.get(8080) ?? []).map((e) => ({
    kubeCluster: e.kubeCluster,
    address: e.address,
    port: e.port,
    network: e.network,
    tlsMode: e.tlsMode,
    weight: e.weight,
    workloadEntry: e.workloadEntry,
    locality: e.locality,
    localityGroup: e.localityGroup,
  }));
}

describe('WorkloadEntries selected by kube Services', () => {
  it('adds the entries a Service selects as its endpoints, with their network, locality, weight, port and tlsMode', () => {
    const endpoints = endpointsOf(
      input(
        [cluster('a')],
        [
          entry('vm-1', {
            address: '10.50.0.1',
            labels: { app: 'vm' },
            network: 'net-vm',
            locality: 'r1/z1',
            weight: 3,
            serviceAccount: 'vm-sa',
            ports: { http: 18080 },
          }),
          entry('vm-2', { address: '10.50.0.2', labels: { app: 'vm', 'istio-locality': 'r2.z2.s2' } }),
          entry('other-app', { address: '10.50.0.3', labels: { app: 'other' } }),
          entry('hostname', { address: 'vm.example.com', labels: { app: 'vm' } }),
        ],
      ),
    );
    expect(endpoints.filter((e) => e.workloadEntry !== undefined)).toEqual([
      {
        kubeCluster: 'a',
        address: '10.50.0.1',
        port: 18080,
        network: 'net-vm',
        tlsMode: 'istio',
        weight: 3,
        workloadEntry: 'vm-1',
        locality: { region: 'r1', zone: 'z1', subZone: '' },
        localityGroup: 'r1/z1',
      },
      {
        kubeCluster: 'a',
        address: '10.50.0.2',
        port: 8080,
        network: '',
        tlsMode: 'disabled',
        weight: undefined,
        workloadEntry: 'vm-2',
        locality: { region: 'r2', zone: 'z2', subZone: 's2' },
        localityGroup: undefined,
      },
    ]);
    expect(endpoints.filter((e) => e.workloadEntry === undefined).map((e) => e.address)).toEqual(['10.1.0.1']);
  });

  it('puts config-folder entries in the first kube cluster and API-server entries in their own', () => {
    const endpoints = endpointsOf(
      input(
        [cluster('a'), cluster('b')],
        [
          entry('from-folder', { address: '10.50.0.1', labels: { app: 'vm' } }),
          entry('from-b', { address: '10.50.0.2', labels: { app: 'vm' } }, 'b'),
        ],
      ),
    );
    expect(endpoints.filter((e) => e.workloadEntry).map((e) => [e.kubeCluster, e.workloadEntry])).toEqual([
      ['a', 'from-folder'],
      ['b', 'from-b'],
    ]);
  });

  it('needs a named targetPort among the entry ports, and gives a headless Service none', () => {
    const named = endpointsOf(
      input(
        [cluster('a', { targetPort: 'web' })],
        [
          entry('has-web', { address: '10.50.0.1', labels: { app: 'vm' }, ports: { web: 9000 } }),
          entry('no-web', { address: '10.50.0.2', labels: { app: 'vm' }, ports: { http: 9001 } }),
        ],
      ),
    );
    expect(named.filter((e) => e.workloadEntry).map((e) => [e.workloadEntry, e.port])).toEqual([['has-web', 9000]]);
    const headless = endpointsOf(
      input([cluster('a', { headless: true })], [entry('vm', { address: '10.50.0.1', labels: { app: 'vm' } })]),
    );
    expect(headless.filter((e) => e.workloadEntry)).toEqual([]);
  });

  it('rebuilds the selecting Service when an entry changes, and keeps the snapshot when nothing did', () => {
    const clusters = [cluster('a')];
    const first = buildSnapshotIncremental(
      input(clusters, [entry('vm', { address: '10.50.0.1', labels: { app: 'vm' } })]),
      undefined,
    );
    const same = buildSnapshotIncremental(
      input(clusters, [entry('vm', { address: '10.50.0.1', labels: { app: 'vm' } })]),
      first.memo,
      [],
    );
    expect(same.followed).toBe('changes');
    expect(same.snapshot).toBe(first.snapshot);
    const moved = buildSnapshotIncremental(
      input(clusters, [entry('vm', { address: '10.50.0.9', labels: { app: 'vm' } })]),
      same.memo,
      [],
    );
    expect(moved.followed).toBe('every service');
    expect([...moved.delta.endpoints]).toEqual([HOST]);
    expect(
      moved.snapshot.endpoints
        .get(HOST)
        ?.get(8080)
        ?.map((e) => e.address),
    ).toEqual(['10.1.0.1', '10.50.0.9']);
  });
});
