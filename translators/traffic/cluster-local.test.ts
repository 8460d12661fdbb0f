import { describe, expect, it } from 'vitest';
import { isClusterLocal } from './cluster-local.ts';

const suffix = 'cluster.local';

describe('isClusterLocal', () => {
  it("has Istio's defaults: kube-system, kubernetes.default and istiod are cluster-local, the rest is not", () => {
    expect(isClusterLocal('kube-dns.kube-system.svc.cluster.local', undefined, suffix)).toBe(true);
    expect(isClusterLocal('kubernetes.default.svc.cluster.local', undefined, suffix)).toBe(true);
    expect(isClusterLocal('istiod.istio-system.svc.cluster.local', undefined, suffix)).toBe(true);
    expect(isClusterLocal('reviews.default.svc.cluster.local', undefined, suffix)).toBe(false);
  });

  it('follows mesh.serviceSettings: the exact host wins over a wildcard, the longest wildcard over a shorter one', () => {
    const mesh = {
      serviceSettings: [
        { settings: { clusterLocal: true }, hosts: ['*.svc.cluster.local'] },
        { settings: { clusterLocal: false }, hosts: ['*.demo.svc.cluster.local'] },
        { settings: { clusterLocal: true }, hosts: ['hello.demo.svc.cluster.local'] },
      ],
    };
    expect(isClusterLocal('hello.demo.svc.cluster.local', mesh, suffix)).toBe(true);
    expect(isClusterLocal('plain.demo.svc.cluster.local', mesh, suffix)).toBe(false);
    expect(isClusterLocal('reviews.default.svc.cluster.local', mesh, suffix)).toBe(true);
  });

  it('lets clusterLocal: false remove a default, by its host or a host under its wildcard', () => {
    const byWildcard = {
      serviceSettings: [{ settings: { clusterLocal: false }, hosts: ['*.kube-system.svc.cluster.local'] }],
    };
    expect(isClusterLocal('kube-dns.kube-system.svc.cluster.local', byWildcard, suffix)).toBe(false);
    const byHost = { serviceSettings: [{ settings: {}, hosts: ['kubernetes.default.svc.cluster.local'] }] };
    expect(isClusterLocal('kubernetes.default.svc.cluster.local', byHost, suffix)).toBe(false);
  });
});
