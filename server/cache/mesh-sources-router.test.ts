import { describe, expect, it } from 'vitest';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, type XdsTypeUrl } from '../../protos/type-urls.ts';
import type { ConnectedProxy } from '../generators/proxy-identity.ts';
import type { SourceStream } from '../xds/resource-source.ts';
import { meshResourceSources } from './mesh-sources.ts';
import { XdsCache } from './xds-cache.ts';

const endpointsOnly: SnapshotDelta = {
  services: new Set(),
  endpoints: new Set(['istio-ingressgateway.istio-system.svc.cluster.local']),
  gateways: false,
  config: false,
  full: false,
};

function stream(proxyType: ProxyView['proxyType']): SourceStream<ConnectedProxy> {
  const view: ProxyView = {
    generator: 'envoy',
    proxyType,
    routerMode: 'standard',
    network: '',
    locality: { region: '', zone: '', subZone: '' },
    kubeCluster: 'c1',
    namespace: 'istio-system',
    requestedNetworkView: [],
    workloadIp: '10.0.0.9',
  };
  return {
    id: '1',
    proxy: {
      id: `${proxyType}~10.0.0.9~gw.istio-system~istio-system.svc.cluster.local`,
      type: proxyType,
      labels: {},
      view,
    },
    authenticated: undefined,
    isClosed: false,
    subscribed: () => new Set(),
    push: () => undefined,
  };
}

describe('what an endpoint change touches for a router', () => {
  it("re-pushes a router's listeners and routes (its ports follow its own endpoints), not a sidecar's", () => {
    const sources = meshResourceSources(new XdsCache());
    const touched = (typeUrl: XdsTypeUrl, proxyType: ProxyView['proxyType']) =>
      sources.get(typeUrl)!.touched(endpointsOnly, stream(proxyType));
    expect(touched(LISTENER_TYPE, 'router')).toBe('all');
    expect(touched(ROUTE_TYPE, 'router')).toBe('all');
    expect(touched(LISTENER_TYPE, 'sidecar')).toBe('none');
    expect(touched(ROUTE_TYPE, 'sidecar')).toBe('none');
    // CDS has a per-workload part too (inbound clusters), which for a router is empty: pushed as well, harmless.
    expect(touched(CLUSTER_TYPE, 'sidecar')).toBe('none');
    expect(touched(CLUSTER_TYPE, 'router')).toBe('all');
    expect(sources.get(ENDPOINT_TYPE)!.touched(endpointsOnly, stream('sidecar'))).not.toBe('none');
  });
});
