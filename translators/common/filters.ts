import type { Address, Filter, HttpConnectionManager, HttpFilter, ListenerFilter } from '../resource.ts';
import { typedConfig } from './typed-config.ts';

/** Envoy filter building blocks shared by the listener translators. */

export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager' as const;
export const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router' as const;
const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy' as const;

export const ROUTER_FILTER: HttpFilter = {
  name: 'envoy.filters.http.router',
  typed_config: typedConfig(ROUTER_TYPE, {}),
};

/** The fault filter, empty: VirtualService faults configure it per route (typed_per_filter_config). */
export const FAULT_FILTER: HttpFilter = {
  name: 'envoy.filters.http.fault',
  typed_config: typedConfig('envoy.extensions.filters.http.fault.v3.HTTPFault', {}),
};

/** Outbound HCMs (sidecar ports, proxyless api listeners): fault injection before the router, as Istio. */
export const OUTBOUND_HTTP_FILTERS: readonly HttpFilter[] = [FAULT_FILTER, ROUTER_FILTER];

export function tcpProxyFilter(cluster: string, statPrefix: string = cluster): Filter {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: typedConfig(TCP_PROXY_TYPE, { stat_prefix: statPrefix, cluster }),
  };
}

/** tcp_proxy splitting connections across clusters by weight (VirtualService tcp routes). */
export function tcpProxyWeightedFilter(
  clusters: readonly { name: string; weight: number }[],
  statPrefix: string,
): Filter {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: typedConfig(TCP_PROXY_TYPE, {
      stat_prefix: statPrefix,
      weighted_clusters: { clusters: clusters.map((c) => ({ name: c.name, weight: c.weight })) },
    }),
  };
}

/** A network filter running an HttpConnectionManager with the given fields (route specifier, filters…). */
export function httpConnectionManagerFilter(fields: HttpConnectionManager): Filter {
  return { name: 'envoy.filters.network.http_connection_manager', typed_config: typedConfig(HCM_TYPE, fields) };
}

/** As Istio's: the first read is 512 bytes (Envoy's default is 64 KiB), enough for a ClientHello's SNI and ALPN. */
export const TLS_INSPECTOR: ListenerFilter = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: typedConfig('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {
    initial_read_buffer_size: { value: 512 },
  }),
};

export const ORIGINAL_DST: ListenerFilter = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: typedConfig('envoy.extensions.filters.listener.original_dst.v3.OriginalDst', {}),
};

export function socketAddress(address: string, port: number): Address {
  return { socket_address: { address, port_value: port } };
}
