import { beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TYPE, LISTENER_TYPE, NAME_TABLE_TYPE, ROUTE_TYPE, type XdsTypeUrl } from '../protos/type-urls.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { translateAll } from './index.ts';
import { expectGolden, onTheWire, wireResources } from './test-support/golden.ts';
import { loadSeedSnapshot, SEED_VIEWS } from './test-support/seed-snapshot.ts';

const HELLO = 'helloworld.default.svc.cluster.local';
const SNI = `outbound_.5000_._.${HELLO}`;
const GOLDEN_TYPES: Record<string, XdsTypeUrl> = {
  cds: CLUSTER_TYPE,
  lds: LISTENER_TYPE,
  rds: ROUTE_TYPE,
  nds: NAME_TABLE_TYPE,
};

let snapshot: MeshSnapshot;
beforeAll(async () => {
  snapshot = await loadSeedSnapshot();
});

function resource(
  typeUrl: XdsTypeUrl,
  view: (typeof SEED_VIEWS)[keyof typeof SEED_VIEWS],
  name: string,
): Record<string, unknown> {
  const found = translateAll(typeUrl, snapshot, view).find((r) => r.name === name);
  if (!found) throw new Error(`no ${typeUrl} resource named ${name}`);
  return onTheWire(found);
}

describe('the seed mesh, on the wire, against golden files', () => {
  for (const [viewName, view] of Object.entries(SEED_VIEWS)) {
    for (const [short, typeUrl] of Object.entries(GOLDEN_TYPES)) {
      it(`${viewName} ${short}`, () => {
        expectGolden(`${viewName}.${short}.json`, wireResources(translateAll(typeUrl, snapshot, view)));
      });
    }
  }
});

describe('the seed talk shapes', () => {
  it('a group20 sidecar has the seed cluster outbound|5000||helloworld (EDS over ADS, LEAST_REQUEST, tlsMode-istio with the SNI)', () => {
    const cluster = resource(CLUSTER_TYPE, SEED_VIEWS.sidecarGroup20, `outbound|5000||${HELLO}`);
    expect(cluster).toMatchObject({
      name: `outbound|5000||${HELLO}`,
      type: 'EDS',
      eds_cluster_config: {
        eds_config: { ads: {}, initial_fetch_timeout: {}, resource_api_version: 'V3' },
        service_name: `outbound|5000||${HELLO}`,
      },
      connect_timeout: { seconds: '10' },
      lb_policy: 'LEAST_REQUEST',
      alt_stat_name: `outbound|5000||${HELLO};`,
      circuit_breakers: { thresholds: [{ max_connections: { value: 4294967295 } }] },
      common_lb_config: { locality_weighted_lb_config: {} },
      metadata: {
        filter_metadata: {
          istio: {
            fields: {
              services: { listValue: { values: [{ structValue: { fields: { host: { stringValue: HELLO } } } }] } },
            },
          },
        },
      },
    });
    const matches = cluster.transport_socket_matches as Record<string, unknown>[];
    expect(matches[0]).toMatchObject({
      name: 'tlsMode-istio',
      match: { fields: { tlsMode: { stringValue: 'istio' } } },
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: SNI,
        },
      },
    });
  });

  it('the group30 gateway (sni-dnat) has the seed 15443 filter chain: SNI + Istio ALPNs → tcp_proxy to the SNI cluster, no TLS', () => {
    const listener = resource(LISTENER_TYPE, SEED_VIEWS.routerGroup30, '0.0.0.0_15443');
    expect(listener.address).toEqual({ socket_address: { address: '0.0.0.0', port_value: 15443 } });
    const chains = listener.filter_chains as Record<string, unknown>[];
    const chain = chains.find((c) => JSON.stringify(c).includes(SNI));
    expect(chain).toEqual({
      filter_chain_match: {
        server_names: [SNI],
        application_protocols: ['istio', 'istio-peer-exchange', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'],
      },
      filters: [
        {
          name: 'envoy.filters.network.tcp_proxy',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
            stat_prefix: SNI,
            cluster: SNI,
          },
        },
      ],
      transport_socket_connect_timeout: { seconds: '15' },
    });
    expect(listener.listener_filters).toEqual([
      {
        name: 'envoy.filters.listener.tls_inspector',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
          initial_read_buffer_size: { value: 512 },
        },
      },
    ]);
  });

  it('the gateway gets an EDS cluster for every SNI its listener forwards to', () => {
    const clusters = new Set(translateAll(CLUSTER_TYPE, snapshot, SEED_VIEWS.routerGroup30).map((r) => r.name));
    const listener = resource(LISTENER_TYPE, SEED_VIEWS.routerGroup30, '0.0.0.0_15443');
    const targets = (listener.filter_chains as { filter_chain_match: { server_names: string[] } }[]).map(
      (c) => c.filter_chain_match.server_names[0]!,
    );
    expect(targets).toContain(SNI);
    for (const target of targets) expect(clusters.has(target)).toBe(true);
    expect(resource(CLUSTER_TYPE, SEED_VIEWS.routerGroup30, SNI)).toMatchObject({
      type: 'EDS',
      eds_cluster_config: { service_name: SNI },
    });
  });
});
