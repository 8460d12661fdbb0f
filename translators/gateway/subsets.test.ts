import { describe, expect, it } from 'vitest';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import { buildIstioConfigSet } from '../../model/istio/config-set.ts';
import type { AnyIstioConfig } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../protos/type-urls.ts';
import { translateAll } from '../index.ts';
import { onTheWire } from '../test-support/golden.ts';

const HOST = 'hello.default.svc.cluster.local';
const rule: AnyIstioConfig = {
  kind: 'DestinationRule',
  meta: {
    namespace: 'default',
    name: 'hello',
    resourceVersion: '1',
    labels: {},
    annotations: {},
    origin: { type: 'file', path: 'dr.yaml' },
  },
  spec: { host: HOST, subsets: [{ name: 'v2', labels: { version: 'v2' } }] },
};
const base = snapshotOf([
  {
    name: 'hello',
    port: 5000,
    endpoints: [
      { ip: '10.0.0.1', labels: { version: 'v1', 'security.istio.io/tlsMode': 'istio' } },
      { ip: '10.0.0.2', labels: { version: 'v2', 'security.istio.io/tlsMode': 'istio' } },
      { ip: '10.0.0.3', labels: { version: 'v2' } },
    ],
  },
]);
const snapshot = { ...base, istioConfig: buildIstioConfigSet([rule]) };
const router: ProxyView = {
  generator: 'envoy',
  proxyType: 'router',
  routerMode: 'sni-dnat',
  network: '',
  locality: { region: '', zone: '', subZone: '' },
  kubeCluster: 'c1',
  namespace: 'istio-system',
  requestedNetworkView: [],
};

describe('east-west gateway and DestinationRule subsets', () => {
  it('passes subset traffic through: a chain, a cluster and EDS for outbound_.<port>_.<subset>_.<fqdn>', () => {
    const sni = `outbound_.5000_.v2_.${HOST}`;
    const listener = onTheWire(translateAll(LISTENER_TYPE, snapshot, router)[0]!) as {
      filter_chains: { filter_chain_match: { server_names: string[] } }[];
    };
    expect(listener.filter_chains.map((c) => c.filter_chain_match.server_names[0])).toEqual([
      `outbound_.5000_._.${HOST}`,
      sni,
    ]);
    expect(translateAll(CLUSTER_TYPE, snapshot, router).map((r) => r.name)).toContain(sni);
    const eds = translateAll(ENDPOINT_TYPE, snapshot, router).find((r) => r.name === sni)!;
    expect(JSON.stringify(onTheWire(eds))).toContain('10.0.0.2');
    expect(JSON.stringify(onTheWire(eds))).not.toContain('10.0.0.1');
    // As Istio: a pod without tlsMode istio cannot be reached through the gateway (it passes mTLS through by SNI).
    expect(JSON.stringify(onTheWire(eds))).not.toContain('10.0.0.3');
  });
});
