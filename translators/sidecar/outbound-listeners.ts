import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshService, MeshSnapshot, ServicePort } from '../../model/types.ts';
import {
  httpConnectionManagerFilter,
  OUTBOUND_HTTP_FILTERS,
  socketAddress,
  tcpProxyFilter,
} from '../common/filters.ts';
import {
  addressPortName,
  BLACKHOLE_CLUSTER,
  PASSTHROUGH_CLUSTER,
  VIRTUAL_INBOUND_PORT,
  VIRTUAL_OUTBOUND_LISTENER,
  VIRTUAL_OUTBOUND_PORT,
} from '../common/names.ts';
import { isHttpPort, isProxiedPort } from '../common/protocol.ts';
import { extraWildcards, primaryWildcard } from '../common/ip-family.ts';
import { serviceTcpProxyFilter } from '../traffic/tcp-routes.ts';
import { altStatName } from '../common/cluster-common.ts';
import { MAX_CONNECTIONS_PER_SOCKET_EVENT, TRANSPORT_SOCKET_CONNECT_TIMEOUT } from '../common/listener-tuning.ts';
import { statsFilters } from '../telemetry/stats-filter.ts';
import {
  ADS_CONFIG_SOURCE,
  type Filter,
  type HttpConnectionManager,
  type XdsResource,
  listenerResource,
  type Listener,
} from '../resource.ts';

/**
 * A sidecar's outbound listeners, in Istio's shape: iptables sends every outbound connection to
 * `virtualOutbound` (0.0.0.0:15001, use_original_dst), which hands it to the listener bound (not
 * to a socket: bind_to_port false) at the original destination:
 * - `<vip>_<port>` per TCP service port and VIP: tcp_proxy to `outbound|<port>||<fqdn>`;
 * - `0.0.0.0_<port>` per HTTP/gRPC port number: HttpConnectionManager with RDS `<port>`, whose
 *   virtual hosts pick the service by Host/authority (allow_any → PassthroughCluster otherwise);
 * - no match: virtualOutbound's default chain → PassthroughCluster (ALLOW_ANY); connections to
 *   15001 itself → BlackHoleCluster (a loop).
 * Headless services get no listener (their traffic passes through to the pod IP). Pure.
 */
export function buildSidecarOutboundListeners(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const stats = clientStatsFilters(snapshot, view);
  return [
    virtualOutbound(view),
    ...tcpServiceListeners(snapshot, view, stats),
    ...httpPortListeners(snapshot, view, stats),
  ];
}

/**
 * Telemetry (CLIENT mode) for outbound traffic. Outbound listeners are shared by every pod of a
 * view, so only mesh-wide and namespace Telemetry apply here (workload selectors need pod labels).
 */
function clientStatsFilters(snapshot: MeshSnapshot, view: ProxyView): Filter[] {
  const scope = { namespace: view.namespace, labels: {}, rootNamespace: snapshot.istioConfig.rootNamespace };
  return statsFilters(snapshot.istioConfig.telemetries, scope, 'CLIENT');
}

/**
 * The HTTP connection manager options Istio sets on a sidecar's outbound HTTP listeners
 * (pilot/pkg/networking/core/listener_builder.go): websocket upgrades allowed, paths normalised
 * (escaped slashes kept) before routing, 100-continue proxied, no stream idle timeout (Envoy's
 * default closes a stream idle for 5 minutes), the downstream address not trusted as the client's.
 * The RDS config source waits for its route configuration without a timeout, as Istio's.
 */
const ISTIO_HCM_OPTIONS: HttpConnectionManager = {
  upgrade_configs: [{ upgrade_type: 'websocket' }],
  normalize_path: { value: true },
  path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
  proxy_100_continue: true,
  stream_idle_timeout: {},
  use_remote_address: { value: false },
};

function listener(name: string, object: Listener): XdsResource {
  return listenerResource(name, { name, ...object });
}

function virtualOutbound(view: ProxyView): XdsResource {
  return listener(VIRTUAL_OUTBOUND_LISTENER, {
    address: socketAddress(primaryWildcard(view), VIRTUAL_OUTBOUND_PORT),
    filter_chains: [
      {
        name: 'virtualOutbound-blackhole',
        filter_chain_match: { destination_port: { value: VIRTUAL_OUTBOUND_PORT } },
        filters: [tcpProxyFilter(BLACKHOLE_CLUSTER)],
      },
    ],
    default_filter_chain: { name: 'PassthroughFilterChain', filters: [tcpProxyFilter(PASSTHROUGH_CLUSTER)] },
    use_original_dst: { value: true },
    traffic_direction: 'OUTBOUND',
    max_connections_to_accept_per_socket_event: MAX_CONNECTIONS_PER_SOCKET_EVENT,
  });
}

/**
 * One listener per (VIP, TCP port). When two services claim the same VIP and port (ClusterIP
 * ranges overlap across kube clusters), the one whose VIP is in the proxy's own kube cluster
 * wins, else the first by hostname: Envoy rejects two listeners with one address.
 */
function tcpServiceListeners(snapshot: MeshSnapshot, view: ProxyView, stats: readonly Filter[]): XdsResource[] {
  const chosen = new Map<string, { service: MeshService; port: ServicePort; vip: string; own: boolean }>();
  for (const service of snapshot.services.values()) {
    if (service.headless) continue;
    for (const port of service.ports) {
      if (!isProxiedPort(port) || isHttpPort(port)) continue;
      for (const [kubeCluster, vip] of Object.entries(service.vips).sort(([a], [b]) => a.localeCompare(b))) {
        const name = addressPortName(vip, port.port);
        const own = kubeCluster === view.kubeCluster;
        const existing = chosen.get(name);
        if (!existing || (own && !existing.own && existing.service !== service))
          chosen.set(name, { service, port, vip, own });
      }
    }
  }
  return [...chosen.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, { service, port, vip }]) =>
      listener(name, {
        address: socketAddress(vip, port.port),
        filter_chains: [
          {
            filters: [...stats, serviceTcpProxyFilter(snapshot, view, service, port.port)],
            transport_socket_connect_timeout: TRANSPORT_SOCKET_CONNECT_TIMEOUT,
          },
        ],
        bind_to_port: { value: false },
        traffic_direction: 'OUTBOUND',
      }),
    );
}

/**
 * The HTTP port numbers of the mesh (any service), ascending: one `0.0.0.0_<port>` listener and
 * route each. 15001 and 15006 are left out: Envoy rejects two listeners on one address.
 */
export function httpPortNumbers(snapshot: MeshSnapshot): number[] {
  const ports = new Set<number>();
  for (const service of snapshot.services.values())
    for (const port of service.ports) if (isProxiedPort(port) && isHttpPort(port)) ports.add(port.port);
  ports.delete(VIRTUAL_OUTBOUND_PORT);
  ports.delete(VIRTUAL_INBOUND_PORT);
  return [...ports].sort((a, b) => a - b);
}

function httpPortListeners(snapshot: MeshSnapshot, view: ProxyView, stats: readonly Filter[]): XdsResource[] {
  const wildcard = primaryWildcard(view);
  return httpPortNumbers(snapshot).map((port) => {
    const name = addressPortName(wildcard, port);
    // A dual-stack proxy's `0.0.0.0_<port>` also listens on `::` (Istio's extra wildcard binds).
    const extra = extraWildcards(view).map((address) => ({ address: socketAddress(address, port) }));
    return listener(name, {
      address: socketAddress(wildcard, port),
      ...(extra.length > 0 ? { additional_addresses: extra } : {}),
      filter_chains: [
        {
          filters: [
            httpConnectionManagerFilter({
              // Istio's stat prefix ends in ';' (util.DelimitedStatsPrefix), for its stats tag extractors.
              stat_prefix: altStatName(`outbound_${name}`),
              rds: {
                config_source: { ...ADS_CONFIG_SOURCE, initial_fetch_timeout: {} },
                route_config_name: String(port),
              },
              http_filters: [...stats, ...OUTBOUND_HTTP_FILTERS],
              ...ISTIO_HCM_OPTIONS,
            }),
          ],
          transport_socket_connect_timeout: TRANSPORT_SOCKET_CONNECT_TIMEOUT,
        },
      ],
      bind_to_port: { value: false },
      traffic_direction: 'OUTBOUND',
    });
  });
}
