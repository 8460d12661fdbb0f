import { describe, expect, it } from 'vitest';
import { sidecarView } from '../e2e/support/snapshot-fixture.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../protos/type-urls.ts';
import { XdsCache } from '../server/cache/xds-cache.ts';
import { istioObject } from '../translators/test-support/istio-config.ts';
import { buildSnapshot } from './build-snapshot.ts';
import { buildIstioConfigSet } from './istio/config-set.ts';
import type { ProxyView } from './proxy-view.ts';

const entry = (name: string, exportTo: string[] | undefined) =>
  istioObject('ServiceEntry', 'demo', name, {
    hosts: [`${name}.example.internal`],
    location: 'MESH_INTERNAL',
    resolution: 'STATIC',
    ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
    endpoints: [{ address: '10.50.0.1' }],
    ...(exportTo ? { exportTo } : {}),
  });

const snapshot = buildSnapshot({
  domainSuffix: 'cluster.local',
  trustDomain: 'cluster.local',
  meshNetworks: { networks: {} },
  kubeClusters: [{ name: 'c1', services: new Map(), endpointSlices: new Map(), pods: new Map(), nodes: new Map() }],
  istioConfig: buildIstioConfigSet([
    entry('own', ['.']),
    entry('to-b', ['team-b']),
    entry('hidden', ['~']),
    entry('all', undefined),
    // team-b's sidecars may reach their own namespace only; team-b's routers are not scoped by it.
    istioObject('Sidecar', 'team-b', 'default', { egress: [{ hosts: ['./*'] }] }),
  ]),
});

function outbound(cache: XdsCache, view: ProxyView): string[] {
  return [...cache.resources(view, CLUSTER_TYPE).keys()].filter((n) => n.startsWith('outbound|')).sort();
}

describe('ServiceEntry exportTo', () => {
  it("shows a host to the namespaces it is exported to: the proxy's namespace decides, for every proxy type", () => {
    const cache = new XdsCache();
    cache.setSnapshot(snapshot);
    const demo: ProxyView = { ...sidecarView(), namespace: 'demo' };
    expect(outbound(cache, demo)).toEqual(['outbound|80||all.example.internal', 'outbound|80||own.example.internal']);
    expect([...cache.resources(demo, ENDPOINT_TYPE).keys()].sort()).toEqual([
      'outbound|80||all.example.internal',
      'outbound|80||own.example.internal',
    ]);
    expect(outbound(cache, { ...sidecarView('', 'grpc'), namespace: 'team-c' })).toEqual([
      'outbound|80||all.example.internal',
    ]);
    // Asked first, the sidecar's scope (Sidecar and exportTo) must not be what the router of its namespace gets.
    expect(outbound(cache, { ...sidecarView(), namespace: 'team-b' })).toEqual([]);
    expect(outbound(cache, { ...sidecarView(), namespace: 'team-b', proxyType: 'router' })).toEqual([
      'outbound|80||all.example.internal',
      'outbound|80||to-b.example.internal',
    ]);
  });
});
