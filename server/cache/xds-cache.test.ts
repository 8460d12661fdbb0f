import { describe, expect, it } from 'vitest';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import { sidecarView, snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import { shareUnchanged } from '../../model/snapshot-delta.ts';
import { XdsCache } from './xds-cache.ts';

const snapshot = (ips: string[]) =>
  snapshotOf([{ name: 'helloworld', port: 5000, endpoints: ips.map((ip) => ({ ip })) }]);
const view = (network: string): ProxyView => sidecarView(network);

/** `base` with a DestinationRule whose failoverPriority names the pod label `app`: views then split by it. */
function withFailoverOnApp(base: MeshSnapshot): MeshSnapshot {
  const rule = {
    kind: 'DestinationRule' as const,
    meta: {
      namespace: 'default',
      name: 'by-app',
      resourceVersion: '1',
      labels: {},
      annotations: {},
      origin: { type: 'file' as const, path: 'by-app.yaml' },
    },
    spec: {
      host: 'helloworld.default.svc.cluster.local',
      trafficPolicy: { loadBalancer: { localityLbSetting: { failoverPriority: ['app'] } } },
    },
  };
  return { ...base, istioConfig: { ...base.istioConfig, destinationRules: [rule] } };
}

describe('XdsCache', () => {
  it("follows the snapshot's failoverPriority labels in each proxy's shared view, and only works it out again when they change", () => {
    const cache = new XdsCache();
    const a: ProxyView = { ...view('n1'), labels: { app: 'a' } };
    const b: ProxyView = { ...view('n1'), labels: { app: 'b' } };
    type Resources = ReturnType<XdsCache['resources']>;
    const shared = (): [Resources, Resources] => [cache.resources(a, ENDPOINT_TYPE), cache.resources(b, ENDPOINT_TYPE)];
    cache.setSnapshot(snapshot(['10.0.0.1']));
    const [first, second] = shared();
    expect(second).toBe(first);
    // The same proxies (view objects) after a rule names `app`: one shared view each.
    cache.setSnapshot(withFailoverOnApp(snapshot(['10.0.0.1'])));
    const [ruledA, ruledB] = shared();
    expect(ruledB).not.toBe(ruledA);
    // Endpoints change, the labels a rule names do not: still apart; and together again without the rule.
    cache.setSnapshot(withFailoverOnApp(snapshot(['10.0.0.2'])));
    const [movedA, movedB] = shared();
    expect(movedB).not.toBe(movedA);
    expect([...movedA.values()][0]).not.toBe([...ruledA.values()][0]);
    cache.setSnapshot(snapshot(['10.0.0.2']));
    const [plainA, plainB] = shared();
    expect(plainB).toBe(plainA);
  });

  it('gives the same versions after a restart (versions are content hashes, not counters)', () => {
    const before = new XdsCache();
    before.setSnapshot(snapshot(['10.0.0.1']));
    const after = new XdsCache();
    after.setSnapshot(snapshot(['10.0.0.1']));
    const versions = (cache: XdsCache) =>
      [...cache.resources(view('n1'), ENDPOINT_TYPE).values()].map((r) => r.version);
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

  it('re-translates only the services whose endpoints changed', () => {
    const services = (moved: string) => [
      { name: 'a', port: 5000, clusterIP: '10.96.0.1', endpoints: [{ ip: moved }] },
      { name: 'b', port: 5000, clusterIP: '10.96.0.2', endpoints: [{ ip: '10.0.1.1' }] },
      { name: 'c', port: 5000, clusterIP: '10.96.0.3', endpoints: [{ ip: '10.0.2.1' }] },
    ];
    const cache = new XdsCache();
    const first = snapshotOf(services('10.0.0.1'));
    cache.setSnapshot(first);
    const before = cache.resources(view('n1'), ENDPOINT_TYPE);
    const translated = cache.stats().translatedServices;
    const { snapshot: second, delta } = shareUnchanged(first, snapshotOf(services('10.0.0.2')));
    expect([...delta.endpoints]).toEqual(['a.default.svc.cluster.local']);
    cache.setSnapshot(second, delta);
    const after = cache.resources(view('n1'), ENDPOINT_TYPE);
    expect(cache.stats().translatedServices - translated).toBe(1);
    expect(after.get('outbound|5000||b.default.svc.cluster.local')).toBe(
      before.get('outbound|5000||b.default.svc.cluster.local'),
    );
    expect(after.get('outbound|5000||a.default.svc.cluster.local')).not.toBe(
      before.get('outbound|5000||a.default.svc.cluster.local'),
    );
    expect(cache.endpointNames(view('n1'), delta.endpoints)).toEqual(['outbound|5000||a.default.svc.cluster.local']);
    // Every proxy of the view (each its own view object, with its own workload IP) gets the same
    // names array for the change, so a push encodes its response once per view (SharedSets.changedSetOf).
    const pod = (ip: string): ProxyView => ({ ...view('n1'), workloadIp: ip });
    const names = cache.endpointNames(pod('10.9.0.1'), delta.endpoints);
    expect(cache.endpointNames(pod('10.9.0.2'), delta.endpoints)).toBe(names);
    expect(cache.endpointNames(view('n2'), delta.endpoints)).not.toBe(names);
  });

  it('re-translates every type when Istio config changed, and only EDS when endpoints did', () => {
    const cache = new XdsCache();
    const first = snapshot(['10.0.0.1']);
    cache.setSnapshot(first);
    const clusters = cache.resources(view('n1'), CLUSTER_TYPE);
    const quiet = {
      services: new Set<string>(),
      endpoints: new Set(['helloworld.default.svc.cluster.local']),
      gateways: false,
      config: false,
      full: false,
    };
    cache.setSnapshot(first, quiet);
    expect(cache.resources(view('n1'), CLUSTER_TYPE)).toBe(clusters);
    cache.setSnapshot(first, { ...quiet, endpoints: new Set<string>(), config: true });
    const after = cache.resources(view('n1'), CLUSTER_TYPE);
    expect(after).not.toBe(clusters);
    // Same content: the encodings themselves are reused.
    expect([...after.values()]).toEqual([...clusters.values()]);
  });
});
