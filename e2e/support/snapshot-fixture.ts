import { buildSnapshot } from '../../model/build-snapshot.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { reduceEndpointSlice, reducePod, reduceService } from '../../server/registry/reduce.ts';
import { serviceManifests, type FixtureService } from './mesh-fixture.ts';

/** A mesh snapshot of one kube cluster built from fixture services, without files or servers. */
export function snapshotOf(services: readonly FixtureService[], kubeCluster = 'c1'): MeshSnapshot {
  const docs = services.flatMap(serviceManifests);
  const keyed = (kind: string) =>
    docs.filter((d) => d.kind === kind).map((d) => [`default/${(d.metadata as { name: string }).name}`, d] as const);
  return buildSnapshot({
    domainSuffix: 'cluster.local',
    trustDomain: 'cluster.local',
    meshNetworks: { networks: {} },
    kubeClusters: [
      {
        name: kubeCluster,
        services: new Map(keyed('Service').map(([k, d]) => [k, reduceService(d)])),
        endpointSlices: new Map(keyed('EndpointSlice').map(([k, d]) => [k, reduceEndpointSlice(d)])),
        pods: new Map(keyed('Pod').map(([k, d]) => [k, reducePod(d)])),
        nodes: new Map(),
      },
    ],
  });
}

export function sidecarView(network = '', generator: 'envoy' | 'grpc' = 'envoy'): ProxyView {
  return {
    generator,
    proxyType: 'sidecar',
    routerMode: 'standard',
    network,
    locality: { region: '', zone: '', subZone: '' },
    kubeCluster: 'c1',
    namespace: 'default',
    requestedNetworkView: [],
  };
}
