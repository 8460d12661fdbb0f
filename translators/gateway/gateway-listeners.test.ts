import { describe, expect, it } from 'vitest';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import type { GatewayServer, Labels } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../protos/type-urls.ts';
import { translateAll } from '../index.ts';
import { onTheWire } from '../test-support/golden.ts';
import { istioObject, withIstioConfig } from '../test-support/istio-config.ts';

const MTLS = { 'security.istio.io/tlsMode': 'istio' };
// The gateway Service maps 15443 to the pod's 16443 (Istio's port translation opens 16443).
const base = snapshotOf([
  { name: 'hello', port: 5000, portName: 'http', endpoints: [{ ip: '10.0.0.1', labels: MTLS }] },
  { name: 'other', namespace: 'other', port: 6000, portName: 'tcp', endpoints: [{ ip: '10.0.0.2', labels: MTLS }] },
  {
    name: 'eastwest',
    namespace: 'istio-system',
    port: 15443,
    targetPort: 16443,
    portName: 'tls',
    endpoints: [{ ip: '10.0.0.9', labels: { istio: 'eastwestgateway' } }],
  },
]);

const passthrough = (hosts: string[], number = 15443): GatewayServer => ({
  port: { number, name: `tls-${number}`, protocol: 'TLS' },
  tls: { mode: 'AUTO_PASSTHROUGH' },
  hosts,
});

function router(labels: Labels, extra: Partial<ProxyView> = {}): ProxyView {
  return {
    generator: 'envoy',
    proxyType: 'router',
    routerMode: 'standard',
    network: '',
    locality: { region: '', zone: '', subZone: '' },
    kubeCluster: 'c1',
    namespace: 'istio-system',
    requestedNetworkView: [],
    workloadIp: '10.0.0.9',
    labels,
    ...extra,
  };
}

type WireListener = { name: string; filter_chains: { filter_chain_match?: { server_names: string[] } }[] };

function listeners(snapshot: typeof base, view: ProxyView): { name: string; snis: string[] }[] {
  return translateAll(LISTENER_TYPE, snapshot, view).map((r) => {
    const listener = onTheWire(r) as WireListener;
    return {
      name: listener.name,
      snis: listener.filter_chains.map((c) => c.filter_chain_match?.server_names[0] ?? ''),
    };
  });
}

const sniClusters = (snapshot: typeof base, view: ProxyView) =>
  translateAll(CLUSTER_TYPE, snapshot, view)
    .map((r) => r.name)
    .filter((n) => n.startsWith('outbound_.'));

const HELLO_SNI = 'outbound_.5000_._.hello.default.svc.cluster.local';
const OTHER_SNI = 'outbound_.6000_._.other.other.svc.cluster.local';
const EASTWEST_SNI = 'outbound_.15443_._.eastwest.istio-system.svc.cluster.local';

describe('Istio Gateway resources on routers', () => {
  const crossNetwork = istioObject('Gateway', 'istio-system', 'cross-network-gateway', {
    selector: { istio: 'eastwestgateway' },
    servers: [passthrough(['*.local'])],
  });

  it("the cross-network Gateway gives its selected router the AUTO_PASSTHROUGH listener on the pod's port, SNI clusters and their EDS, without ROUTER_MODE", () => {
    const snapshot = withIstioConfig(base, [crossNetwork]);
    const view = router({ istio: 'eastwestgateway', app: 'x' });
    expect(listeners(snapshot, view)).toEqual([{ name: '0.0.0.0_16443', snis: [EASTWEST_SNI, HELLO_SNI, OTHER_SNI] }]);
    expect(sniClusters(snapshot, view).sort()).toEqual([EASTWEST_SNI, OTHER_SNI, HELLO_SNI].sort());
    const eds = translateAll(ENDPOINT_TYPE, snapshot, view).find((r) => r.name === HELLO_SNI);
    expect(JSON.stringify(onTheWire(eds!))).toContain('10.0.0.1');
  });

  it("keeps the server's port when the router has no Service port for it (no IP known)", () => {
    const snapshot = withIstioConfig(base, [crossNetwork]);
    const { workloadIp: _none, ...withoutIp } = router({ istio: 'eastwestgateway' });
    expect(listeners(snapshot, withoutIp).map((l) => l.name)).toEqual(['0.0.0.0_15443']);
  });

  it('builds chains only for the services the server hosts cover; the namespace part of a host is not matched', () => {
    const gateway = istioObject('Gateway', 'default', 'hello-only', {
      selector: { istio: 'eastwestgateway' },
      servers: [passthrough(['other/hello.default.svc.cluster.local'])],
    });
    const view = router({ istio: 'eastwestgateway' });
    expect(listeners(withIstioConfig(base, [gateway]), view)).toEqual([{ name: '0.0.0.0_16443', snis: [HELLO_SNI] }]);
    const wildcard = istioObject('Gateway', 'default', 'other-ns', {
      selector: { istio: 'eastwestgateway' },
      servers: [passthrough(['*.other.svc.cluster.local'])],
    });
    // Two Gateways on one port merge into one listener (Gateways of every namespace apply, as PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false).
    expect(listeners(withIstioConfig(base, [gateway, wildcard]), view)).toEqual([
      { name: '0.0.0.0_16443', snis: [HELLO_SNI, OTHER_SNI] },
    ]);
  });

  it("selects by the router's labels; a selector-less Gateway applies to every router and to no sidecar", () => {
    const snapshot = withIstioConfig(base, [crossNetwork]);
    expect(listeners(snapshot, router({ istio: 'ingressgateway' }))).toEqual([]);
    expect(sniClusters(snapshot, router({ istio: 'ingressgateway' }))).toEqual([]);
    const everyRouter = withIstioConfig(base, [
      istioObject('Gateway', 'default', 'all', { servers: [passthrough(['*'], 15444)] }),
    ]);
    expect(listeners(everyRouter, router({}))).toEqual([
      { name: '0.0.0.0_15444', snis: [EASTWEST_SNI, HELLO_SNI, OTHER_SNI] },
    ]);
    const sidecar: ProxyView = { ...router({}), proxyType: 'sidecar', workloadIp: '10.0.0.1' };
    expect(translateAll(LISTENER_TYPE, everyRouter, sidecar).map((r) => r.name)).not.toContain('0.0.0.0_15444');
  });

  it('ROUTER_MODE sni-dnat without a selecting Gateway keeps the 15443 listener and SNI clusters; a Gateway without AUTO_PASSTHROUGH replaces them with its own listeners', () => {
    const sniDnat = router({ istio: 'other' }, { routerMode: 'sni-dnat' });
    expect(listeners(base, sniDnat)).toEqual([{ name: '0.0.0.0_15443', snis: [EASTWEST_SNI, HELLO_SNI, OTHER_SNI] }]);
    expect(sniClusters(base, sniDnat)).toHaveLength(3);
    const ingressOnly = withIstioConfig(base, [
      istioObject('Gateway', 'default', 'ingress', {
        selector: { istio: 'other' },
        servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }],
      }),
    ]);
    expect(listeners(ingressOnly, sniDnat)).toEqual([{ name: '0.0.0.0_80', snis: [''] }]);
    expect(sniClusters(ingressOnly, sniDnat)).toEqual([]);
  });
});
