import { describe, expect, it } from 'vitest';
import { sidecarView } from '../../e2e/support/snapshot-fixture.ts';
import { serviceManifests } from '../../e2e/support/mesh-fixture.ts';
import { buildSnapshot } from '../../model/build-snapshot.ts';
import type { KubeClusterObjects } from '../../model/inputs.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { reduceEndpointSlice, reducePod, reduceService } from '../registry/reduce.ts';
import { countUnknownTopology, topologyChecker } from './proxy-topology.ts';

/** A kube cluster with one service whose pod at `ip` carries `labels`. */
function kubeCluster(name: string, network?: string, podLabels: Record<string, string> = {}): KubeClusterObjects {
  const docs = serviceManifests({ name: 'hello', port: 5000, endpoints: [{ ip: '10.0.0.1', labels: podLabels }] });
  const keyed = (kind: string) =>
    docs.filter((d) => d.kind === kind).map((d) => [`default/${(d.metadata as { name: string }).name}`, d] as const);
  return {
    name,
    ...(network ? { network } : {}),
    services: new Map(keyed('Service').map(([k, d]) => [k, reduceService(d)])),
    endpointSlices: new Map(keyed('EndpointSlice').map(([k, d]) => [k, reduceEndpointSlice(d)])),
    pods: new Map(keyed('Pod').map(([k, d]) => [k, reducePod(d)])),
    nodes: new Map(),
  };
}

const view = (kubeCluster: string, network: string): ProxyView => ({ ...sidecarView(network), kubeCluster });

describe('a proxy CLUSTER_ID / NETWORK the mesh does not know', () => {
  const snapshot = buildSnapshot({
    domainSuffix: 'cluster.local',
    trustDomain: 'cluster.local',
    meshNetworks: {
      networks: {
        'net-cidr': { endpoints: [{ fromCidr: '10.9.0.0/16' }], gateways: [] },
        'net-gw': { endpoints: [], gateways: [{ address: '192.168.0.1', port: 15443 }] },
      },
    },
    kubeClusters: [
      kubeCluster('cluster-a', 'net-a'),
      kubeCluster('cluster-b', undefined, { 'topology.istio.io/network': 'net-pod' }),
    ],
  });
  const check = topologyChecker(snapshot);

  it('knows every network config or a pod names: configured, meshNetworks-only, with gateways, a pod label', () => {
    expect(snapshot.networks).toEqual(['net-a', 'net-cidr', 'net-gw']);
    for (const network of ['net-a', 'net-cidr', 'net-gw', 'net-pod'])
      expect(check(view('cluster-a', network))).toEqual([]);
  });

  it('flags neither an empty CLUSTER_ID nor an empty NETWORK: they claim nothing', () => {
    expect(check(view('', ''))).toEqual([]);
  });

  it('names the unknown value and the known ones, CLUSTER_ID first', () => {
    expect(check(view('cluster-x', 'net-z'))).toEqual([
      {
        reason: 'cluster_id',
        field: 'CLUSTER_ID',
        value: 'cluster-x',
        message: 'CLUSTER_ID "cluster-x" matches no kube cluster (known: cluster-a, cluster-b)',
      },
      {
        reason: 'network',
        field: 'NETWORK',
        value: 'net-z',
        message: 'NETWORK "net-z" matches no network (known: net-a, net-cidr, net-gw, net-pod)',
      },
    ]);
  });

  it('lists at most ten known names', () => {
    const many = buildSnapshot({
      domainSuffix: 'cluster.local',
      trustDomain: 'cluster.local',
      meshNetworks: { networks: {} },
      kubeClusters: Array.from({ length: 12 }, (_, i) => kubeCluster(`c${String(i).padStart(2, '0')}`)),
    });
    expect(topologyChecker(many)(view('cx', ''))[0]?.message).toBe(
      'CLUSTER_ID "cx" matches no kube cluster (known: c00, c01, c02, c03, c04, c05, c06, c07, c08, c09 and 2 more)',
    );
  });

  it('counts proxies per reason, and nothing without a snapshot', () => {
    const views = [view('cluster-x', 'net-z'), view('cluster-a', 'net-z'), view('cluster-y', 'net-a'), view('', '')];
    expect(countUnknownTopology(snapshot, views)).toEqual({ cluster_id: 2, network: 2 });
    expect(countUnknownTopology(undefined, views)).toEqual({ cluster_id: 0, network: 0 });
  });
});
