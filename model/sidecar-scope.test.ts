import { describe, expect, it } from 'vitest';
import { snapshotOf, sidecarView } from '../e2e/support/snapshot-fixture.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../protos/type-urls.ts';
import { XdsCache } from '../server/cache/xds-cache.ts';
import { buildIstioConfigSet } from './istio/config-set.ts';
import type { AnyIstioConfig, IstioConfigSet } from './istio/types.ts';
import { scopeSnapshot } from './sidecar-scope.ts';
import type { MeshSnapshot } from './types.ts';

function sidecar(namespace: string, hosts: string[], workloadSelector?: Record<string, string>): AnyIstioConfig {
  return {
    kind: 'Sidecar',
    meta: {
      namespace,
      name: 'default',
      resourceVersion: '1',
      labels: {},
      annotations: {},
      origin: { type: 'file', path: 'sidecar.yaml' },
    },
    spec: { egress: [{ hosts }], ...(workloadSelector ? { workloadSelector: { labels: workloadSelector } } : {}) },
  };
}

function mesh(config: IstioConfigSet): MeshSnapshot {
  const base = snapshotOf([
    { name: 'a', namespace: 'team-a', port: 5000, clusterIP: '10.96.0.1', endpoints: [{ ip: '10.0.0.1' }] },
    { name: 'b', namespace: 'team-b', port: 5000, clusterIP: '10.96.0.2', endpoints: [{ ip: '10.0.0.2' }] },
    { name: 'c', namespace: 'shared', port: 5000, clusterIP: '10.96.0.3', endpoints: [{ ip: '10.0.0.3' }] },
  ]);
  return { ...base, istioConfig: config };
}

const hosts = (snapshot: MeshSnapshot): string[] => [...snapshot.services.keys()].sort();

describe('Sidecar egress scoping', () => {
  it('keeps only the hosts a namespace’s Sidecar allows: "./*" is its own namespace, "ns/*" another', () => {
    const snapshot = mesh(buildIstioConfigSet([sidecar('team-a', ['./*', 'shared/*'])]));
    expect(hosts(scopeSnapshot(snapshot, 'team-a'))).toEqual([
      'a.team-a.svc.cluster.local',
      'c.shared.svc.cluster.local',
    ]);
    expect(hosts(scopeSnapshot(snapshot, 'team-b'))).toHaveLength(3);
  });

  it('falls back to the root namespace Sidecar, prefers the namespace’s own, and ignores workload-selected ones', () => {
    const snapshot = mesh(
      buildIstioConfigSet([
        sidecar('istio-system', ['./*', '*/c.shared.svc.cluster.local']),
        sidecar('team-b', ['*/*']),
        sidecar('team-a', ['~/*'], { app: 'x' }),
      ]),
    );
    // In the root namespace's Sidecar, "." means the proxy's own namespace, as in Istio.
    expect(hosts(scopeSnapshot(snapshot, 'team-a'))).toEqual([
      'a.team-a.svc.cluster.local',
      'c.shared.svc.cluster.local',
    ]);
    expect(hosts(scopeSnapshot(snapshot, 'team-b'))).toHaveLength(3);
  });

  it('a sidecar proxy receives only the clusters and endpoints it may reach; gateways are not scoped', () => {
    const cache = new XdsCache();
    cache.setSnapshot(mesh(buildIstioConfigSet([sidecar('team-a', ['./*'])])));
    const inTeamA = { ...sidecarView(), namespace: 'team-a' };
    expect([...cache.resources(inTeamA, CLUSTER_TYPE).keys()].filter((n) => n.startsWith('outbound|'))).toEqual([
      'outbound|5000||a.team-a.svc.cluster.local',
    ]);
    expect([...cache.resources(inTeamA, ENDPOINT_TYPE).keys()]).toEqual(['outbound|5000||a.team-a.svc.cluster.local']);
    const router = { ...inTeamA, proxyType: 'router' as const };
    expect([...cache.resources(router, CLUSTER_TYPE).keys()].filter((n) => n.startsWith('outbound|'))).toHaveLength(3);
  });
});
