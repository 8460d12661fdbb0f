import { describe, expect, it } from 'vitest';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import type { AnyIstioConfig, GatewayServer, Labels } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { LISTENER_TYPE, ROUTE_TYPE } from '../../protos/type-urls.ts';
import { translateAll } from '../index.ts';
import { onTheWire } from '../test-support/golden.ts';
import { istioObject, withIstioConfig } from '../test-support/istio-config.ts';
import { mergeIngressServers } from './ingress-merge.ts';

// Istio's ingress gateway: its Services map 80 to the pod's 8080 and 443 to 8443 (port translation).
const base = snapshotOf([
  { name: 'hello', namespace: 'demo', port: 5000, portName: 'http', endpoints: [{ ip: '10.0.0.1' }] },
  { name: 'db', namespace: 'demo', port: 5432, portName: 'tcp', endpoints: [{ ip: '10.0.0.2' }] },
  {
    name: 'ingress-http',
    namespace: 'istio-system',
    port: 80,
    targetPort: 8080,
    portName: 'http2',
    endpoints: [{ ip: '10.0.0.9', labels: { istio: 'ingressgateway' } }],
  },
  {
    name: 'ingress-https',
    namespace: 'istio-system',
    port: 443,
    targetPort: 8443,
    portName: 'https',
    endpoints: [{ ip: '10.0.0.9', labels: { istio: 'ingressgateway' } }],
  },
]);

const ROUTER: ProxyView = {
  generator: 'envoy',
  proxyType: 'router',
  routerMode: 'standard',
  network: '',
  locality: { region: '', zone: '', subZone: '' },
  kubeCluster: 'c1',
  namespace: 'istio-system',
  requestedNetworkView: [],
  workloadIp: '10.0.0.9',
  labels: { istio: 'ingressgateway' } satisfies Labels,
};

const http = (hosts: string[], name = 'http'): GatewayServer => ({
  port: { number: 80, name, protocol: 'HTTP' },
  hosts,
});
const https = (hosts: string[], name: string, mode: 'SIMPLE' | 'MUTUAL', credentialName: string): GatewayServer => ({
  port: { number: 443, name, protocol: 'HTTPS' },
  tls: { mode, credentialName },
  hosts,
});
const gateway = (namespace: string, name: string, servers: GatewayServer[]) =>
  istioObject('Gateway', namespace, name, { selector: { istio: 'ingressgateway' }, servers });
const helloRoute = (gateways: string[], hosts: string[]) =>
  istioObject('VirtualService', 'demo', 'hello', {
    hosts,
    gateways,
    http: [{ route: [{ destination: { host: 'hello', port: { number: 5000 } } }] }],
  });

type Wire = Record<string, unknown> & { name: string };
function wire(objects: readonly AnyIstioConfig[], typeUrl: string): Map<string, Wire> {
  const snapshot = withIstioConfig(base, objects);
  return new Map(
    translateAll(typeUrl as typeof LISTENER_TYPE, snapshot, ROUTER).map((r) => [r.name, onTheWire(r) as Wire]),
  );
}

interface WireChain {
  filter_chain_match?: { server_names?: string[] };
  filters: { name: string; typed_config: Record<string, unknown> }[];
  transport_socket?: { typed_config: Record<string, unknown> };
}
const chainsOf = (listener: Wire | undefined): WireChain[] => (listener?.filter_chains ?? []) as WireChain[];

describe('ingress Gateway servers on routers (Istio mergeGateways and buildGatewayListeners)', () => {
  it("merges two Gateways' HTTP servers on the translated port into one listener and route configuration http.8080", () => {
    const objects = [
      gateway('istio-system', 'public', [http(['demo/hello.example.com'])]),
      gateway('demo', 'team', [http(['./other.example.com'])]),
      helloRoute(['istio-system/public', 'team'], ['hello.example.com', 'other.example.com']),
    ];
    const listeners = wire(objects, LISTENER_TYPE);
    expect([...listeners.keys()]).toEqual(['0.0.0.0_8080']);
    const hcm = chainsOf(listeners.get('0.0.0.0_8080'))[0]!.filters[0]!.typed_config;
    expect(hcm).toMatchObject({ rds: { route_config_name: 'http.8080' }, use_remote_address: { value: true } });
    const routes = wire(objects, ROUTE_TYPE).get('http.8080');
    const vhosts = routes!.virtual_hosts as {
      name: string;
      domains: string[];
      routes: { route: { cluster: string } }[];
    }[];
    // One route list for both hosts: Istio collapses them into the first host's virtual host.
    expect(vhosts.map((v) => [v.name, v.domains])).toEqual([
      ['hello.example.com:80', ['hello.example.com']],
      ['other.example.com:80', ['other.example.com']],
    ]);
    expect(vhosts[0]!.routes[0]!.route.cluster).toBe('outbound|5000||hello.demo.svc.cluster.local');
  });

  it('a server host demo/<host> takes VirtualServices of demo only; no bound VirtualService gives the 404 virtual host', () => {
    const objects = [
      gateway('istio-system', 'public', [http(['other/hello.example.com'])]),
      helloRoute(['istio-system/public'], ['hello.example.com']),
    ];
    const vhosts = wire(objects, ROUTE_TYPE).get('http.8080')!.virtual_hosts;
    expect(vhosts).toEqual([{ name: 'blackhole:80', domains: ['*'] }]);
  });

  it('drops a TCP server on the HTTP port and an HTTPS server repeating a host, as Istio, and says why', () => {
    const objects = [
      gateway('istio-system', 'a', [http(['*']), https(['hello.example.com'], 'https-a', 'SIMPLE', 'cred')]),
      gateway('istio-system', 'b', [
        { port: { number: 80, name: 'tcp', protocol: 'TCP' }, hosts: ['*'] },
        https(['hello.example.com'], 'https-b', 'SIMPLE', 'cred'),
      ]),
    ];
    const merged = mergeIngressServers(withIstioConfig(base, objects), ROUTER);
    expect(merged.rejected).toEqual([
      { gatewayName: 'istio-system/b', index: 0, reason: 'protocol TCP conflicts with the HTTP server on port 8080' },
      { gatewayName: 'istio-system/b', index: 1, reason: 'duplicate host names on port 8443: hello.example.com' },
    ]);
    expect(merged.ports.map((p) => [p.port, p.protocol, p.servers.length])).toEqual([
      [8080, 'HTTP', 1],
      [8443, 'HTTPS', 1],
    ]);
  });

  it("terminates HTTPS with Istio's SDS names: kubernetes://<credentialName>, and -cacert for MUTUAL", () => {
    const objects = [
      gateway('istio-system', 'public', [
        https(['hello.example.com'], 'https-hello', 'SIMPLE', 'hello-cred'),
        https(['demo/mtls.example.com'], 'https-mtls', 'MUTUAL', 'mtls-cred'),
      ]),
      helloRoute(['istio-system/public'], ['hello.example.com', 'mtls.example.com']),
    ];
    const chains = chainsOf(wire(objects, LISTENER_TYPE).get('0.0.0.0_8443'));
    expect(chains.map((c) => c.filter_chain_match?.server_names)).toEqual([
      ['hello.example.com'],
      ['mtls.example.com'],
    ]);
    const tls = chains.map((c) => c.transport_socket!.typed_config);
    expect(tls[0]).toMatchObject({
      common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'kubernetes://hello-cred' }] },
      require_client_certificate: { value: false },
    });
    expect(tls[1]).toMatchObject({
      common_tls_context: {
        tls_certificate_sds_secret_configs: [{ name: 'kubernetes://mtls-cred' }],
        combined_validation_context: {
          validation_context_sds_secret_config: { name: 'kubernetes://mtls-cred-cacert' },
        },
      },
      require_client_certificate: { value: true },
    });
    const routeNames = chains.map(
      (c) => (c.filters[0]!.typed_config.rds as { route_config_name: string }).route_config_name,
    );
    expect(routeNames).toEqual([
      'https.443.https-hello.public.istio-system',
      'https.443.https-mtls.public.istio-system',
    ]);
    expect([...wire(objects, ROUTE_TYPE).keys()].sort()).toEqual(routeNames.sort());
  });

  it('passes TLS through by SNI to the cluster of a VirtualService tls route', () => {
    const objects = [
      gateway('istio-system', 'pass', [
        {
          port: { number: 443, name: 'tls', protocol: 'TLS' },
          tls: { mode: 'PASSTHROUGH' },
          hosts: ['db.example.com'],
        },
      ]),
      istioObject('VirtualService', 'demo', 'db', {
        hosts: ['db.example.com'],
        gateways: ['istio-system/pass'],
        tls: [
          {
            match: [{ sniHosts: ['db.example.com'] }],
            route: [{ destination: { host: 'db.demo.svc.cluster.local', port: { number: 5432 } } }],
          },
        ],
      }),
    ];
    const chains = chainsOf(wire(objects, LISTENER_TYPE).get('0.0.0.0_8443'));
    expect(chains).toHaveLength(1);
    expect(chains[0]!.filter_chain_match).toEqual({ server_names: ['db.example.com'] });
    expect(chains[0]!.transport_socket).toBeUndefined();
    expect(chains[0]!.filters[0]!.typed_config.cluster).toBe('outbound|5432||db.demo.svc.cluster.local');
    // Without a tls route there is no chain, and Istio sends no listener.
    expect(wire(objects.slice(0, 1), LISTENER_TYPE).size).toBe(0);
  });

  it('opens nothing for sidecars, and routers the Gateway does not select', () => {
    const objects = [gateway('istio-system', 'public', [http(['*'])])];
    const snapshot = withIstioConfig(base, objects);
    const other: ProxyView = { ...ROUTER, labels: { istio: 'eastwestgateway' } };
    expect(translateAll(LISTENER_TYPE, snapshot, other)).toEqual([]);
    expect(translateAll(ROUTE_TYPE, snapshot, other)).toEqual([]);
    const sidecar: ProxyView = { ...ROUTER, proxyType: 'sidecar', workloadIp: '10.0.0.1' };
    expect(translateAll(ROUTE_TYPE, snapshot, sidecar).map((r) => r.name)).not.toContain('http.8080');
  });
});
