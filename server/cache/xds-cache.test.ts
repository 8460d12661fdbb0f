import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../model/build-snapshot.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import { reduceEndpointSlice, reduceService } from '../registry/reduce.ts';
import { serviceManifests } from '../../e2e/support/mesh-fixture.ts';
import { XdsCache } from './xds-cache.ts';

function snapshot(ips: string[]) {
  const docs = serviceManifests({ name: 'helloworld', port: 5000, endpoints: ips.map((ip) => ({ ip })) });
  const service = reduceService(docs[0]);
  const slice = reduceEndpointSlice(docs[1]);
  return buildSnapshot({
    domainSuffix: 'cluster.local',
    trustDomain: 'cluster.local',
    meshNetworks: { networks: {} },
    kubeClusters: [{ name: 'c1', services: new Map([['default/helloworld', service]]), endpointSlices: new Map([['default/s', slice]]), pods: new Map(), nodes: new Map() }],
  });
}

const view = (network: string): ProxyView => ({
  generator: 'envoy',
  proxyType: 'sidecar',
  routerMode: 'standard',
  network,
  locality: { region: '', zone: '', subZone: '' },
  kubeCluster: 'c1',
  namespace: 'default',
  requestedNetworkView: [],
});

describe('XdsCache', () => {
  it('gives the same versions after a restart (versions are content hashes, not counters)', () => {
    const before = new XdsCache();
    before.setSnapshot(snapshot(['10.0.0.1']));
    const after = new XdsCache();
    after.setSnapshot(snapshot(['10.0.0.1']));
    const versions = (cache: XdsCache) => [...cache.resources(view('n1'), ENDPOINT_TYPE).values()].map((r) => r.version);
    expect(versions(after)).toEqual(versions(before));
    const moved = new XdsCache();
    moved.setSnapshot(snapshot(['10.0.0.2']));
    expect(versions(moved)).not.toEqual(versions(before));
  });

  it('encodes once per view: two proxies with one view share the same bytes', () => {
    const cache = new XdsCache();
    cache.setSnapshot(snapshot(['10.0.0.1']));
    const a = cache.resources(view('n1'), CLUSTER_TYPE);
    const b = cache.resources(view('n1'), CLUSTER_TYPE);
    expect(b).toBe(a);
    expect(cache.stats().views).toBe(1);
  });

  it('keeps the encoding of a resource that did not change across snapshots', () => {
    const cache = new XdsCache();
    cache.setSnapshot(snapshot(['10.0.0.1']));
    const cluster = [...cache.resources(view('n1'), CLUSTER_TYPE).values()][0];
    const endpoints = [...cache.resources(view('n1'), ENDPOINT_TYPE).values()][0];
    cache.setSnapshot(snapshot(['10.0.0.2']));
    expect([...cache.resources(view('n1'), CLUSTER_TYPE).values()][0]).toBe(cluster);
    expect([...cache.resources(view('n1'), ENDPOINT_TYPE).values()][0]).not.toBe(endpoints);
  });
});
