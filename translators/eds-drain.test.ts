import { describe, expect, it } from 'vitest';
import { serviceManifests } from '../e2e/support/mesh-fixture.ts';
import { buildSnapshotIncremental } from '../model/build-snapshot.ts';
import type { KubeClusterObjects, SnapshotInput } from '../model/inputs.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { Locality, NetworkGateway, WorkloadEndpoint } from '../model/types.ts';
import { reduceEndpointSlice, reducePod, reduceService } from '../server/registry/reduce.ts';
import { uniqueAddresses, viewEndpoints } from './eds.ts';
import { explainServiceEndpoints } from './eds-explain.ts';
import type { LocalityPolicy } from './traffic/locality-lb.ts';
import { workloadEndpoint } from './test-support/workload-endpoint.ts';

/** karmada.drainNotReady: endpoints of draining kube clusters go behind every healthy endpoint. */

const HERE: Locality = { region: 'r1', zone: 'z1', subZone: '' };
const THERE: Locality = { region: 'r1', zone: 'z2', subZone: '' };
const DRAIN = 'Karmada Cluster b tainted NoExecute cluster.karmada.io/not-ready';

const view = (network = '', generator: ProxyView['generator'] = 'envoy'): ProxyView => ({
  generator,
  proxyType: 'sidecar',
  routerMode: 'standard',
  network,
  locality: HERE,
  kubeCluster: 'a',
  namespace: 'default',
  requestedNetworkView: [],
});

function endpoint(kubeCluster: string, address: string, extra: Partial<WorkloadEndpoint> = {}): WorkloadEndpoint {
  return workloadEndpoint({ kubeCluster, address, locality: HERE, ...extra });
}

const NO_GATEWAYS = new Map<string, NetworkGateway[]>();
/** Locality failover with outlier detection: priorities by locality, as Istio. */
const FAILOVER: LocalityPolicy = { setting: {}, enableFailover: true, source: 'test failover' };

const priorities = (sent: readonly { address: string; priority: number }[]) =>
  Object.fromEntries(sent.map((e) => [e.address, e.priority]));

describe('EDS with draining kube clusters (karmada.drainNotReady)', () => {
  it('sends a draining kube cluster’s endpoints at the priority after every healthy one, and says why', () => {
    const sent = viewEndpoints(
      [endpoint('a', '10.0.0.1'), endpoint('b', '10.1.0.1', { draining: DRAIN }), endpoint('b', '10.1.0.2')],
      NO_GATEWAYS,
      view(),
    );
    expect(priorities(sent)).toEqual({ '10.0.0.1': 0, '10.1.0.1': 1, '10.1.0.2': 0 });
    expect(sent.find((e) => e.address === '10.1.0.1')?.priorityReason).toContain(
      `behind every healthy endpoint: ${DRAIN} (karmada.drainNotReady)`,
    );
    expect(sent.find((e) => e.address === '10.0.0.1')?.priorityReason).not.toContain('karmada');
  });

  it('keeps locality priorities among healthy and among draining endpoints, all draining ones last', () => {
    const sent = viewEndpoints(
      [
        endpoint('a', '10.0.0.1'),
        endpoint('a', '10.0.0.2', { locality: THERE }),
        endpoint('b', '10.1.0.1', { draining: DRAIN }),
        endpoint('b', '10.1.0.2', { draining: DRAIN, locality: THERE }),
      ],
      NO_GATEWAYS,
      view(),
      FAILOVER,
    );
    expect(priorities(sent)).toEqual({ '10.0.0.1': 0, '10.0.0.2': 1, '10.1.0.1': 2, '10.1.0.2': 3 });
  });

  it('changes nothing when no endpoint drains, or when every endpoint drains (there is nowhere better)', () => {
    const healthy = [endpoint('a', '10.0.0.1'), endpoint('a', '10.0.0.2', { locality: THERE })];
    const plain = viewEndpoints(healthy, NO_GATEWAYS, view(), FAILOVER);
    expect(priorities(plain)).toEqual({ '10.0.0.1': 0, '10.0.0.2': 1 });
    const allDraining = viewEndpoints(
      healthy.map((e) => ({ ...e, draining: DRAIN })),
      NO_GATEWAYS,
      view(),
      FAILOVER,
    );
    expect(priorities(allDraining)).toEqual(priorities(plain));
    expect(allDraining[0]?.priorityReason).toContain('no endpoint is healthier');
  });

  it('drains a gateway endpoint only when every endpoint it stands for drains', () => {
    const gateways = new Map<string, NetworkGateway[]>([
      ['net-b', [{ network: 'net-b', address: '192.0.2.10', port: 15443, kubeCluster: 'b' }]],
      ['net-c', [{ network: 'net-c', address: '192.0.2.20', port: 15443, kubeCluster: 'c' }]],
    ]);
    const sent = viewEndpoints(
      [
        endpoint('a', '10.0.0.1', { network: 'net-a' }),
        endpoint('b', '10.1.0.1', { network: 'net-b', draining: DRAIN }),
        endpoint('b', '10.1.0.2', { network: 'net-b', draining: DRAIN }),
        endpoint('c', '10.2.0.1', { network: 'net-c', draining: 'Karmada Cluster c Ready=False' }),
        endpoint('c', '10.2.0.2', { network: 'net-c' }),
      ],
      gateways,
      view('net-a', 'grpc'),
    );
    expect(priorities(uniqueAddresses(sent))).toEqual({ '10.0.0.1': 0, '192.0.2.10': 1, '192.0.2.20': 0 });
    expect(sent.find((e) => e.address === '192.0.2.10')?.draining).toBe(DRAIN);
  });
});

function cluster(name: string, ips: string[], draining?: string): KubeClusterObjects {
  const docs = serviceManifests({
    name: 'hello',
    port: 5000,
    clusterIP: '10.96.0.1',
    endpoints: ips.map((ip) => ({ ip, labels: { 'security.istio.io/tlsMode': 'istio' } })),
  });
  const keyed = <T>(kind: string, reduce: (d: unknown) => T) =>
    new Map(
      docs.filter((d) => d.kind === kind).map((d) => [`default/${(d.metadata as { name: string }).name}`, reduce(d)]),
    );
  return {
    name,
    services: keyed('Service', reduceService),
    endpointSlices: keyed('EndpointSlice', reduceEndpointSlice),
    pods: keyed('Pod', reducePod),
    nodes: new Map(),
    ...(draining !== undefined ? { draining } : {}),
  };
}

const input = (clusters: KubeClusterObjects[]): SnapshotInput => ({
  domainSuffix: 'cluster.local',
  trustDomain: 'cluster.local',
  meshNetworks: { networks: {} },
  kubeClusters: clusters,
});

describe('a kube cluster starting or stopping to drain (model → explain)', () => {
  it('is an endpoint change of the services it serves, and explain names the reason', () => {
    const a = cluster('a', ['10.0.0.1']);
    const b = cluster('b', ['10.1.0.1']);
    const first = buildSnapshotIncremental(input([a, b]), undefined);
    const drained = buildSnapshotIncremental(input([a, { ...b, draining: DRAIN }]), first.memo, []);
    const host = 'hello.default.svc.cluster.local';
    expect([...drained.delta.endpoints]).toEqual([host]);
    expect(
      drained.snapshot.endpoints
        .get(host)
        ?.get(5000)
        ?.map((e) => e.draining),
    ).toEqual([undefined, DRAIN]);
    const explained = explainServiceEndpoints(drained.snapshot, view(), host);
    expect(explained.map((e) => [e.workload, e.priority])).toEqual([
      ['10.0.0.1:5000', 0],
      ['10.1.0.1:5000', 1],
    ]);
    expect(explained[1]?.reason).toContain(DRAIN);
    const back = buildSnapshotIncremental(input([a, b]), drained.memo, []);
    expect([...back.delta.endpoints]).toEqual([host]);
    expect(explainServiceEndpoints(back.snapshot, view(), host).map((e) => e.priority)).toEqual([0, 0]);
  });
});
