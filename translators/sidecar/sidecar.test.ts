import { describe, expect, it } from 'vitest';
import { CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../protos/type-urls.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { translateAll } from '../index.ts';
import { isLoadedProtoType } from '../common/proto-types.ts';
import { portProtocol } from '../common/protocol.ts';
import { onTheWire } from '../test-support/golden.ts';
import { richSnapshot, richView } from '../test-support/rich-snapshot.ts';

const snapshot = richSnapshot();
type Wire = Record<string, unknown> & { name: string };
function wire(typeUrl: Parameters<typeof translateAll>[0], view: ProxyView = richView()): Map<string, Wire> {
  return new Map(translateAll(typeUrl, snapshot, view).map((r) => [r.name, onTheWire(r) as Wire]));
}

describe('port protocol', () => {
  it('follows appProtocol first, then the port name prefix; everything else is TCP', () => {
    const port = (name: string, appProtocol?: string) => ({
      name,
      port: 1,
      protocol: 'TCP',
      ...(appProtocol ? { appProtocol } : {}),
    });
    expect(portProtocol(port('http'))).toBe('http');
    expect(portProtocol(port('http-web'))).toBe('http');
    expect(portProtocol(port('grpc-api'))).toBe('http2');
    expect(portProtocol(port('http2'))).toBe('http2');
    expect(portProtocol(port('httpx'))).toBe('tcp');
    expect(portProtocol(port('mysql'))).toBe('tcp');
    expect(portProtocol(port('tcp-api', 'kubernetes.io/h2c'))).toBe('http2');
    expect(portProtocol(port('grpc', 'mysql'))).toBe('tcp');
  });
});

describe('sidecar CDS', () => {
  it('has inbound|<workload port>|| for each TCP port the workload serves, STATIC to 127.0.0.1, and the special clusters', () => {
    const clusters = wire(CLUSTER_TYPE);
    expect([...clusters.keys()].filter((n) => n.startsWith('inbound|'))).toEqual([
      'inbound|3306||',
      'inbound|8080||',
      'inbound|9000||',
    ]);
    expect(clusters.get('inbound|8080||')).toMatchObject({
      type: 'STATIC',
      load_assignment: {
        cluster_name: 'inbound|8080||',
        endpoints: [
          { lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 8080 } } } }] },
        ],
      },
    });
    expect(clusters.get('BlackHoleCluster')).toMatchObject({ type: 'STATIC' });
    expect(clusters.get('BlackHoleCluster')).not.toHaveProperty('load_assignment');
    expect(clusters.get('PassthroughCluster')).toMatchObject({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' });
    expect(clusters.get('InboundPassthroughCluster')).toMatchObject({
      type: 'ORIGINAL_DST',
      upstream_bind_config: { source_address: { address: '127.0.0.6' } },
    });
  });

  it('has no inbound cluster without a known workload, and routers get no passthrough clusters', () => {
    const { workloadIp: _ip, ...anonymous } = richView();
    expect([...wire(CLUSTER_TYPE, anonymous).keys()].filter((n) => n.startsWith('inbound|'))).toEqual([]);
    const router = wire(CLUSTER_TYPE, richView({ proxyType: 'router' }));
    expect(router.has('BlackHoleCluster')).toBe(true);
    expect(router.has('PassthroughCluster')).toBe(false);
    expect([...router.keys()].some((n) => n.startsWith('outbound_.'))).toBe(false);
  });

  it('asks for HTTP/2 upstream on gRPC and h2c ports when the protocol-options proto is loaded', () => {
    const clusters = wire(CLUSTER_TYPE);
    const grpc = clusters.get('outbound|9000||app.default.svc.cluster.local')!;
    const http = clusters.get('outbound|80||app.default.svc.cluster.local')!;
    expect(http).not.toHaveProperty('typed_extension_protocol_options');
    if (isLoadedProtoType('envoy.extensions.upstreams.http.v3.HttpProtocolOptions')) {
      expect(grpc).toMatchObject({
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
      });
    } else {
      expect(grpc).not.toHaveProperty('typed_extension_protocol_options');
    }
  });
});

describe('sidecar LDS', () => {
  it('hands off from virtualOutbound to <vip>_<port> for TCP and 0.0.0.0_<port> for HTTP, one per VIP of every kube cluster, skipping UDP and headless', () => {
    const listeners = wire(LISTENER_TYPE);
    expect([...listeners.keys()].sort()).toEqual(
      [
        '0.0.0.0_80',
        '0.0.0.0_8080',
        '0.0.0.0_9000',
        '10.0.0.1_3306',
        '10.200.0.1_3306',
        '10.0.0.9_7000',
        'virtualInbound',
        'virtualOutbound',
      ].sort(),
    );
    expect(listeners.get('virtualOutbound')).toMatchObject({
      address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
      use_original_dst: { value: true },
      default_filter_chain: { filters: [{ typed_config: { cluster: 'PassthroughCluster' } }] },
      filter_chains: [
        {
          filter_chain_match: { destination_port: { value: 15001 } },
          filters: [{ typed_config: { cluster: 'BlackHoleCluster' } }],
        },
      ],
    });
    expect(listeners.get('10.0.0.1_3306')).toMatchObject({
      bind_to_port: { value: false },
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.tcp_proxy',
              typed_config: { cluster: 'outbound|3306||app.default.svc.cluster.local' },
            },
          ],
        },
      ],
    });
    expect(listeners.get('0.0.0.0_80')).toMatchObject({
      bind_to_port: { value: false },
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: {
                rds: { route_config_name: '80' },
                http_filters: [{ name: 'envoy.filters.http.fault' }, { name: 'envoy.filters.http.router' }],
              },
            },
          ],
        },
      ],
    });
  });

  it("gives a VIP:port claimed by services of two kube clusters to the one in the proxy's own kube cluster", () => {
    const cluster = (view: ProxyView) =>
      (
        wire(LISTENER_TYPE, view).get('10.0.0.9_7000')!.filter_chains as {
          filters: { typed_config: { cluster: string } }[];
        }[]
      )[0]!.filters[0]!.typed_config.cluster;
    expect(cluster(richView())).toBe('outbound|7000||shared-a.default.svc.cluster.local');
    expect(cluster(richView({ kubeCluster: 'west', network: 'net-west', workloadIp: '10.2.0.5' }))).toBe(
      'outbound|7000||shared-b.default.svc.cluster.local',
    );
  });

  it('terminates Istio mTLS on virtualInbound per workload port and passes plaintext and foreign TLS through (PERMISSIVE)', () => {
    const inbound = wire(LISTENER_TYPE).get('virtualInbound')!;
    const chains = inbound.filter_chains as {
      name: string;
      filter_chain_match: Record<string, unknown>;
      transport_socket?: Record<string, unknown>;
      filters: { typed_config: { cluster: string } }[];
    }[];
    expect(chains.map((c) => c.name)).toEqual([
      'virtualInbound-blackhole',
      ...[3306, 8080, 9000].flatMap((p) => [
        `inbound|${p}||-mtls`,
        `inbound|${p}||-tls-passthrough`,
        `inbound|${p}||-plaintext`,
      ]),
    ]);
    const mtls = chains.find((c) => c.name === 'inbound|8080||-mtls')!;
    expect(mtls.filter_chain_match).toEqual({
      destination_port: { value: 8080 },
      transport_protocol: 'tls',
      application_protocols: ['istio', 'istio-peer-exchange', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'],
    });
    expect(mtls.transport_socket).toMatchObject({
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        require_client_certificate: { value: true },
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'default' }],
          combined_validation_context: { validation_context_sds_secret_config: { name: 'ROOTCA' } },
        },
      },
    });
    for (const chain of chains.slice(1))
      expect(chain.filters[0]!.typed_config.cluster).toBe(
        `inbound|${(chain.filter_chain_match.destination_port as { value: number }).value}||`,
      );
    expect(chains.filter((c) => c.transport_socket).length).toBe(3);
  });
});

describe('sidecar RDS', () => {
  function hosts(
    view: ProxyView = richView(),
  ): Map<string, { domains: string[]; routes: { route: Record<string, unknown> }[] }> {
    const config = wire(ROUTE_TYPE, view).get('80')! as unknown as {
      virtual_hosts: { name: string; domains: string[]; routes: { route: Record<string, unknown> }[] }[];
    };
    return new Map(config.virtual_hosts.map((v) => [v.name, v]));
  }

  it('names each virtual host <fqdn>:<port> with every form of its name and every VIP, and ends with allow_any', () => {
    const vhosts = hosts();
    expect([...vhosts.keys()]).toEqual([
      'api.default.svc.cluster.local:80',
      'app.default.svc.cluster.local:80',
      'app.other.svc.cluster.local:80',
      'allow_any',
    ]);
    expect(vhosts.get('app.default.svc.cluster.local:80')!.domains).toEqual(
      ['app.default.svc.cluster.local', 'app', 'app.default', 'app.default.svc', '10.0.0.1', '10.200.0.1'].flatMap(
        (h) => [h, `${h}:80`],
      ),
    );
    expect(vhosts.get('app.default.svc.cluster.local:80')!.routes[0]!.route).toMatchObject({
      cluster: 'outbound|80||app.default.svc.cluster.local',
      timeout: {},
      retry_policy: {
        retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
        num_retries: { value: 2 },
      },
    });
    expect(vhosts.get('allow_any')).toMatchObject({
      domains: ['*'],
      routes: [{ route: { cluster: 'PassthroughCluster' } }],
    });
  });

  it("gives the bare short name only to the service in the proxy's namespace, so no domain is in two virtual hosts", () => {
    expect(hosts().get('app.other.svc.cluster.local:80')!.domains).not.toContain('app');
    const fromOther = hosts(richView({ namespace: 'other' }));
    expect(fromOther.get('app.other.svc.cluster.local:80')!.domains).toContain('app');
    expect(fromOther.get('app.default.svc.cluster.local:80')!.domains).not.toContain('app');
    for (const vhosts of [hosts(), fromOther]) {
      const all = [...vhosts.values()].flatMap((v) => v.domains);
      expect(new Set(all).size).toBe(all.length);
    }
  });

  it('has one route configuration per HTTP port of the mesh, routers none', () => {
    expect([...wire(ROUTE_TYPE).keys()]).toEqual(['80', '8080', '9000']);
    expect(wire(ROUTE_TYPE, richView({ proxyType: 'router', routerMode: 'sni-dnat' })).size).toBe(0);
  });
});
