import type { GatewayServer, L4MatchAttributes, RouteDestination } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import type { DownstreamTlsContext } from '../../protos/generated/envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.ts';
import type { TlsParameters } from '../../protos/generated/envoy/extensions/transport_sockets/tls/v3/TlsParameters.ts';
import {
  httpConnectionManagerFilter,
  OUTBOUND_HTTP_FILTERS,
  socketAddress,
  TLS_INSPECTOR,
  tcpProxyFilter,
  tcpProxyWeightedFilter,
} from '../common/filters.ts';
import { primaryWildcard } from '../common/ip-family.ts';
import { MAX_CONNECTIONS_PER_SOCKET_EVENT, TRANSPORT_SOCKET_CONNECT_TIMEOUT } from '../common/listener-tuning.ts';
import { typedConfig } from '../common/typed-config.ts';
import {
  ADS_CONFIG_SOURCE,
  type Filter,
  type FilterChain,
  type HttpConnectionManager,
  listenerResource,
  type XdsResource,
} from '../resource.ts';
import { tcpRouteTarget } from '../traffic/tcp-routes.ts';
import {
  type IngressServer,
  isHttpProtocol,
  isHttpsTerminated,
  isPassthroughServer,
  type MergedIngress,
  type MergedPort,
} from './ingress-merge.ts';
import {
  hostsMatch,
  resolveGatewayNames,
  virtualServicesForGateway,
  type VirtualService,
} from './ingress-virtual-services.ts';

/** Istio's SDS name for a Gateway credential served over ADS (credentials.ToResourceName). */
export function credentialResourceName(credentialName: string): string {
  return credentialName.includes('://') ? credentialName : `kubernetes://${credentialName}`;
}

/** Istio's SdsCaSuffix: the CA bundle of a MUTUAL credential. */
export const SDS_CA_SUFFIX = '-cacert';

/**
 * The connection manager options Istio sets on a gateway's HTTP listeners (buildGatewayConnectionManager and
 * buildHTTPConnectionManager): the downstream address is the client's (use_remote_address), client certificate
 * details are sanitised and set, websocket upgrades and 100-continue proxied, paths normalised with escaped slashes kept, no
 * stream idle timeout, RDS over ADS without an initial fetch timeout.
 */
function gatewayConnectionManager(statPrefix: string, routeName: string): HttpConnectionManager {
  return {
    stat_prefix: statPrefix,
    rds: { config_source: { ...ADS_CONFIG_SOURCE, initial_fetch_timeout: {} }, route_config_name: routeName },
    http_filters: [...OUTBOUND_HTTP_FILTERS],
    use_remote_address: { value: true },
    forward_client_cert_details: 'SANITIZE_SET',
    set_current_client_cert_details: { subject: { value: true }, cert: true, dns: true, uri: true },
    server_name: 'istio-envoy',
    http_protocol_options: {},
    upgrade_configs: [{ upgrade_type: 'websocket' }],
    proxy_100_continue: true,
    normalize_path: { value: true },
    path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
    stream_idle_timeout: {},
    access_log: [],
  };
}

const TLS_VERSIONS: Record<string, TlsParameters['tls_minimum_protocol_version']> = {
  TLSV1_0: 'TLSv1_0',
  TLSV1_1: 'TLSv1_1',
  TLSV1_2: 'TLSv1_2',
  TLSV1_3: 'TLSv1_3',
};

/**
 * Istio's BuildListenerTLSContext for a SIMPLE / MUTUAL server with credentialName (SDS over ADS): the
 * certificate `kubernetes://<credentialName>`, for MUTUAL the client CA `kubernetes://<credentialName>-cacert`
 * and a client certificate required; h2 and http/1.1 offered for HTTPS; TLS versions and ciphers as written.
 */
export function gatewayTlsContext(server: GatewayServer): DownstreamTlsContext {
  const tls = server.tls!;
  const mutual = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL';
  const credential = tls.credentialName ?? '';
  const sans = (tls.subjectAltNames ?? []).map((san) => ({ exact: san }));
  const params: TlsParameters = {
    ...(tls.minProtocolVersion && tls.minProtocolVersion !== 'TLS_AUTO'
      ? { tls_minimum_protocol_version: TLS_VERSIONS[tls.minProtocolVersion] }
      : {}),
    ...(tls.maxProtocolVersion && tls.maxProtocolVersion !== 'TLS_AUTO'
      ? { tls_maximum_protocol_version: TLS_VERSIONS[tls.maxProtocolVersion] }
      : {}),
    ...(tls.cipherSuites && tls.cipherSuites.length > 0 ? { cipher_suites: [...tls.cipherSuites] } : {}),
  };
  return {
    common_tls_context: {
      alpn_protocols: server.port.protocol.toUpperCase() === 'HTTPS' ? ['h2', 'http/1.1'] : [],
      tls_certificate_sds_secret_configs: [{ name: credentialResourceName(credential), sds_config: ADS_CONFIG_SOURCE }],
      ...(mutual
        ? {
            combined_validation_context: {
              default_validation_context: sans.length > 0 ? { match_subject_alt_names: sans } : {},
              validation_context_sds_secret_config: {
                name: credentialResourceName(credential) + SDS_CA_SUFFIX,
                sds_config: ADS_CONFIG_SOURCE,
              },
            },
          }
        : sans.length > 0
          ? { validation_context: { match_subject_alt_names: sans } }
          : {}),
      ...(Object.keys(params).length > 0 ? { tls_params: params } : {}),
    },
    require_client_certificate: { value: tls.mode === 'MUTUAL' },
  };
}

function tlsTransportSocket(server: GatewayServer): FilterChain['transport_socket'] {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typedConfig(
      'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      gatewayTlsContext(server),
    ),
  };
}

/** Istio's buildOutboundNetworkFilters: one destination, or weighted destinations, as tcp_proxy. */
function networkFilters(
  snapshot: MeshSnapshot,
  vs: VirtualService,
  routes: readonly RouteDestination[],
  port: number,
): Filter[] {
  const target = tcpRouteTarget(snapshot, vs, routes, port);
  if (!target) return [];
  return ['cluster' in target ? tcpProxyFilter(target.cluster) : tcpProxyWeightedFilter(target.weighted, vs.meta.name)];
}

/** Istio's l4SingleMatch for a gateway: the match's port (if any) is the server's, its gateways (if any) name this one. */
function l4Applies(match: L4MatchAttributes, server: IngressServer): boolean {
  if (match.port !== undefined && match.port !== server.server.port.number) return false;
  return (
    match.gateways === undefined ||
    match.gateways.length === 0 ||
    resolveGatewayNames(match.gateways, server.gateway.meta.namespace).includes(server.gatewayName)
  );
}

/** Istio's pickMatchingGatewayHosts: a VirtualService host matches a server host (its namespace part first). */
function vsMatchesServer(vs: VirtualService, server: GatewayServer): boolean {
  return vs.spec.hosts.some((vsHost) =>
    server.hosts.some((h) => {
      const slash = h.indexOf('/');
      if (slash >= 0 && h.slice(0, slash) !== vs.meta.namespace) return false;
      return hostsMatch(slash >= 0 ? h.slice(slash + 1) : h, vsHost);
    }),
  );
}

/**
 * Istio's buildGatewayNetworkFiltersFromTLSRoutes for a PASSTHROUGH server: a chain per tls match of the bound
 * VirtualServices whose hosts meet the server's, matching its sniHosts and tcp_proxying to the route's cluster;
 * SNI names already on the listener port (same bind) are skipped, as Envoy rejects two equal chain matches.
 */
function passthroughChains(
  snapshot: MeshSnapshot,
  view: ProxyView,
  s: IngressServer,
  sniTaken: Map<string, string>,
): FilterChain[] {
  const chains: FilterChain[] = [];
  const bind = s.server.bind ?? '';
  for (const vs of virtualServicesForGateway(snapshot, view.namespace, s.gatewayName)) {
    if (!vsMatchesServer(vs, s.server)) continue;
    for (const tls of vs.spec.tls ?? []) {
      if (tls.route.length === 0) continue;
      for (const match of tls.match) {
        if (!l4Applies(match, s)) continue;
        if (match.sniHosts.some((h) => sniTaken.get(h) === bind)) continue;
        for (const h of match.sniHosts) sniTaken.set(h, bind);
        chains.push({
          filter_chain_match: { server_names: [...match.sniHosts] },
          filters: networkFilters(snapshot, vs, tls.route, s.server.port.number),
          transport_socket_connect_timeout: TRANSPORT_SOCKET_CONNECT_TIMEOUT,
        });
      }
    }
  }
  return chains;
}

/** Istio's buildGatewayNetworkFiltersFromTCPRoutes: the first tcp route of a bound VirtualService that applies. */
function tcpRouteFilters(snapshot: MeshSnapshot, view: ProxyView, s: IngressServer): Filter[] {
  for (const vs of virtualServicesForGateway(snapshot, view.namespace, s.gatewayName)) {
    if (!vsMatchesServer(vs, s.server)) continue;
    for (const tcp of vs.spec.tcp ?? []) {
      const applies = !tcp.match || tcp.match.length === 0 || tcp.match.some((m) => l4Applies(m, s));
      if (applies && tcp.route.length > 0) return networkFilters(snapshot, vs, tcp.route, s.server.port.number);
    }
  }
  return [];
}

function serverChains(
  snapshot: MeshSnapshot,
  view: ProxyView,
  merged: MergedPort,
  listenerName: string,
  sniTaken: Map<string, string>,
): FilterChain[] {
  if (isHttpProtocol(merged.protocol))
    return [
      {
        filters: [httpConnectionManagerFilter(gatewayConnectionManager(`outbound_${listenerName};`, merged.routeName))],
        transport_socket_connect_timeout: TRANSPORT_SOCKET_CONNECT_TIMEOUT,
      },
    ];
  return merged.servers.flatMap((s): FilterChain[] => {
    if (isHttpsTerminated(s.server)) {
      const prefix = s.server.name ? s.server.name : `outbound_${listenerName};`;
      return [
        {
          filter_chain_match: { server_names: [...s.sniHosts] },
          filters: [httpConnectionManagerFilter(gatewayConnectionManager(prefix, s.routeName))],
          transport_socket: tlsTransportSocket(s.server),
          transport_socket_connect_timeout: TRANSPORT_SOCKET_CONNECT_TIMEOUT,
        },
      ];
    }
    if (isPassthroughServer(s.server)) return passthroughChains(snapshot, view, s, sniTaken);
    const filters = tcpRouteFilters(snapshot, view, s);
    if (filters.length === 0) return [];
    return [
      {
        ...(s.server.tls !== undefined ? { filter_chain_match: { server_names: [...s.sniHosts] } } : {}),
        filters,
        ...(s.server.tls !== undefined ? { transport_socket: tlsTransportSocket(s.server) } : {}),
        transport_socket_connect_timeout: TRANSPORT_SOCKET_CONNECT_TIMEOUT,
      },
    ];
  });
}

/**
 * The listeners of a router's ingress servers (HTTP, HTTPS SIMPLE / MUTUAL with credentialName, TLS
 * PASSTHROUGH, TCP), as Istio's buildGatewayListeners: one listener `<bind or 0.0.0.0>_<port>` per listener
 * port; plain-text HTTP ports get one chain whose connection manager reads RDS `http.<port>`; TLS ports get a
 * chain per HTTPS server (SNI match, DownstreamTlsContext with Istio's SDS names, RDS
 * `https.<port>.<name>.<gateway>.<namespace>`) and per PASSTHROUGH tls route (SNI match, tcp_proxy); the TLS
 * inspector reads SNI when a chain matches on it. A listener without any chain is not sent (Istio drops it).
 * `skipPorts`: ports another builder (AUTO_PASSTHROUGH) already opens. Pure.
 */
export function buildIngressListeners(
  snapshot: MeshSnapshot,
  view: ProxyView,
  merged: MergedIngress,
  skipPorts: ReadonlySet<number> = new Set(),
): XdsResource[] {
  const byName = new Map<string, { port: number; bind: string; chains: FilterChain[] }>();
  const sniTakenByPort = new Map<number, Map<string, string>>();
  for (const mergedPort of merged.ports) {
    if (skipPorts.has(mergedPort.port)) continue;
    const address = mergedPort.bind || primaryWildcard(view);
    const name = `${address}_${mergedPort.port}`;
    const sniTaken = sniTakenByPort.get(mergedPort.port) ?? new Map<string, string>();
    sniTakenByPort.set(mergedPort.port, sniTaken);
    const chains = serverChains(snapshot, view, mergedPort, name, sniTaken);
    const entry = byName.get(name);
    if (entry) entry.chains.push(...chains);
    else byName.set(name, { port: mergedPort.port, bind: address, chains });
  }
  return [...byName.entries()]
    .filter(([, { chains }]) => chains.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, { port, bind, chains }]) => {
      const inspectSni = chains.some(
        (c) => (c.filter_chain_match?.server_names ?? []).length > 0 || c.transport_socket !== undefined,
      );
      return listenerResource(name, {
        name,
        address: socketAddress(bind, port),
        filter_chains: chains,
        ...(inspectSni ? { listener_filters: [TLS_INSPECTOR] } : {}),
        traffic_direction: 'OUTBOUND',
        max_connections_to_accept_per_socket_event: MAX_CONNECTIONS_PER_SOCKET_EVENT,
      });
    });
}
