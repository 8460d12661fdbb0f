import { describe, expect, it } from 'vitest';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import { viewKey } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { sharedView } from '../../translators/index.ts';
import { parseProxyNode } from './proxy-identity.ts';

const snapshot = snapshotOf([
  {
    name: 'eastwest',
    port: 15443,
    portName: 'tls',
    endpoints: [{ ip: '10.0.0.9', labels: { istio: 'eastwestgateway' } }],
  },
]);

function node(type: 'router' | 'sidecar', labels: Record<string, string>) {
  return {
    id: `${type}~10.0.0.9~eastwest-0.default~default.svc.cluster.local`,
    metadata: {
      fields: {
        CLUSTER_ID: { stringValue: 'c1' },
        LABELS: {
          structValue: { fields: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, { stringValue: v }])) },
        },
      },
    },
  };
}

function viewOf(type: 'router' | 'sidecar', labels: Record<string, string>) {
  const parsed = parseProxyNode(node(type, labels), snapshot);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.proxy.view;
}

/** The fixture with a DestinationRule whose failoverPriority names the pod label `app` (and topology keys). */
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
      host: 'eastwest.default.svc.cluster.local',
      trafficPolicy: {
        loadBalancer: {
          localityLbSetting: { failoverPriority: ['topology.istio.io/network', 'app', 'version=v1'] },
        },
      },
    },
  };
  return { ...base, istioConfig: { ...base.istioConfig, destinationRules: [rule] } };
}

describe("a proxy's view carries its labels (Gateway selectors and failoverPriority match them)", () => {
  it("merges node metadata LABELS over its pod's labels, for routers and sidecars", () => {
    expect(viewOf('router', { app: 'eastwest' }).labels).toEqual({ istio: 'eastwestgateway', app: 'eastwest' });
    expect(viewOf('router', { istio: 'other' }).labels).toMatchObject({ app: 'eastwest', istio: 'other' });
    expect(viewOf('sidecar', { app: 'eastwest' }).labels).toEqual({ istio: 'eastwestgateway', app: 'eastwest' });
  });

  it("a sidecar's shared view keeps only the labels a failoverPriority names, so other labels do not split views", () => {
    const a = viewOf('sidecar', { app: 'eastwest', 'pod-template-hash': 'x' });
    const b = viewOf('sidecar', { app: 'eastwest', 'pod-template-hash': 'y' });
    const c = viewOf('sidecar', { app: 'other' });
    expect(sharedView(a, snapshot).labels).toBeUndefined();
    expect(viewKey(sharedView(a, snapshot))).toBe(viewKey(sharedView(c, snapshot)));
    const ruled = withFailoverOnApp(snapshot);
    expect(sharedView(a, ruled).labels).toEqual({ app: 'eastwest' });
    expect(viewKey(sharedView(a, ruled))).toBe(viewKey(sharedView(b, ruled)));
    expect(viewKey(sharedView(a, ruled))).not.toBe(viewKey(sharedView(c, ruled)));
    // A router keeps every label: its Gateways select it by any of them.
    expect(sharedView(viewOf('router', { x: '1' }), snapshot).labels).toMatchObject({ x: '1' });
  });

  it('routers with other labels have other view keys; the order of labels does not matter', () => {
    expect(viewKey(viewOf('router', { istio: 'other' }))).not.toBe(viewKey(viewOf('router', {})));
    expect(viewKey(viewOf('router', { a: '1', b: '2' }))).toBe(viewKey(viewOf('router', { b: '2', a: '1' })));
  });
});
