import { describe, expect, it } from 'vitest';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import { viewKey } from '../../model/proxy-view.ts';
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

describe("a router's view carries its labels (Gateway selectors match them)", () => {
  it("merges node metadata LABELS over its pod's labels, for routers only", () => {
    expect(viewOf('router', { app: 'eastwest' }).labels).toEqual({ istio: 'eastwestgateway', app: 'eastwest' });
    expect(viewOf('router', { istio: 'other' }).labels).toMatchObject({ app: 'eastwest', istio: 'other' });
    // Sidecar views are not split by labels.
    expect(viewOf('sidecar', { app: 'eastwest' }).labels).toBeUndefined();
  });

  it('routers with other labels have other view keys; the order of labels does not matter', () => {
    expect(viewKey(viewOf('router', { istio: 'other' }))).not.toBe(viewKey(viewOf('router', {})));
    expect(viewKey(viewOf('router', { a: '1', b: '2' }))).toBe(viewKey(viewOf('router', { b: '2', a: '1' })));
  });
});
