import { describe, expect, it } from 'vitest';
import { injectAdmission } from './inject-webhook.ts';
import { detectNativeSidecar, kubeletSupportsNativeSidecars, type KubeletNode } from './native-sidecars.ts';

const nodes = (...versions: (string | undefined)[]): Map<string, KubeletNode> =>
  new Map(
    versions.map((v, i) => [`node-${i}`, { name: `node-${i}`, ...(v !== undefined ? { kubeletVersion: v } : {}) }]),
  );

const SETTINGS = {
  revision: 'default',
  proxyImage: 'docker.io/istio/proxyv2:1.29.0',
  discoveryAddress: 'meshpilot.example.com:15012',
  meshId: 'mesh1',
  trustDomain: 'cluster.local',
  domainSuffix: 'cluster.local',
};

/** Where istio-proxy ends up: "native" (an init container) or "classic" (a container). */
function layout(response: { patch?: string }): 'native' | 'classic' {
  const ops = JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8')) as {
    path: string;
    value: { name: string }[];
  }[];
  const names = (path: string) => ops.find((op) => op.path === path)?.value.map((c) => c.name) ?? [];
  if (names('/spec/initContainers').includes('istio-proxy')) return 'native';
  if (names('/spec/containers').includes('istio-proxy')) return 'classic';
  throw new Error('no istio-proxy in the patch');
}

const review = (spec: Record<string, unknown> = {}) => ({
  uid: 'u',
  namespace: 'sample',
  object: { metadata: { name: 'web-0', labels: { app: 'web' } }, spec: { containers: [{ name: 'web' }], ...spec } },
});

describe("native sidecars, istiod's ENABLE_NATIVE_SIDECARS rule", () => {
  it('reads kubelet versions as istiod does: the minor version from 33 on; an unreadable one is too old', () => {
    for (const v of ['v1.33.0', 'v1.36.1', '1.40', 'v1.34.2-eks-3abf2c', 'v1.33.1+k3s1', 'v1.35.0-gke.1000'])
      expect(kubeletSupportsNativeSidecars(v), v).toBe(true);
    for (const v of ['v1.32.4', 'v1.29.0', 'v2.0.0', 'v1', 'latest', '', undefined, 'v1.x.3'])
      expect(kubeletSupportsNativeSidecars(v), String(v)).toBe(false);
  });

  it('auto: the scheduled pod’s node, else every node; no watched cluster: classic; true and false are unconditional', () => {
    const mixed = nodes('v1.32.4', 'v1.36.1');
    expect(detectNativeSidecar('auto', mixed, undefined)).toBe(false);
    expect(detectNativeSidecar('auto', mixed, 'node-1')).toBe(true);
    expect(detectNativeSidecar('auto', mixed, 'node-0')).toBe(false);
    // A node meshpilot has not seen: every node decides, as istiod.
    expect(detectNativeSidecar('auto', nodes('v1.36.1', 'v1.33.0'), 'node-9')).toBe(true);
    expect(detectNativeSidecar('auto', nodes('v1.36.1', undefined), undefined)).toBe(false);
    expect(detectNativeSidecar('auto', new Map(), undefined)).toBe(true);
    expect(detectNativeSidecar('auto', undefined, undefined)).toBe(false);
    expect(detectNativeSidecar(true, nodes('v1.20.0'), undefined)).toBe(true);
    expect(detectNativeSidecar(false, nodes('v1.36.1'), 'node-0')).toBe(false);
  });

  it('/inject reads the Nodes of the cluster its path names (else "Kubernetes"), and honours the explicit setting', () => {
    const clusters: Record<string, Map<string, KubeletNode>> = {
      new: nodes('v1.36.1'),
      old: nodes('v1.32.4'),
      Kubernetes: nodes('v1.34.0'),
    };
    const asked: string[] = [];
    const kubeNodes = (cluster: string) => {
      asked.push(cluster);
      return clusters[cluster];
    };
    const inject = (path: string, extra: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) =>
      layout(injectAdmission(review(spec), path, { ...SETTINGS, kubeNodes, ...extra }));
    expect(inject('/inject/cluster/new/net/n1')).toBe('native');
    expect(inject('/inject/cluster/old/net/n1')).toBe('classic');
    expect(inject('/inject/cluster/unknown/net/n1')).toBe('classic');
    expect(inject('/inject')).toBe('native');
    expect(asked).toEqual(['new', 'old', 'unknown', 'Kubernetes']);
    expect(inject('/inject/cluster/new/net/n1', { nativeSidecars: false })).toBe('classic');
    expect(inject('/inject/cluster/old/net/n1', { nativeSidecars: true })).toBe('native');
    // Without a view of the Nodes (no kube watch), auto injects the classic sidecar.
    expect(layout(injectAdmission(review(), '/inject/cluster/new/net/n1', SETTINGS))).toBe('classic');
  });
});
