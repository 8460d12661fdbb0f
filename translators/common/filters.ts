import { typed, type ProtoObject } from '../../protos/any.ts';

/** Envoy filter building blocks shared by the listener translators. */

export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

export const ROUTER_FILTER: ProtoObject = { name: 'envoy.filters.http.router', typed_config: typed(ROUTER_TYPE, {}) };

/** The fault filter, empty: VirtualService faults configure it per route (typed_per_filter_config). */
export const FAULT_FILTER: ProtoObject = {
  name: 'envoy.filters.http.fault',
  typed_config: typed('envoy.extensions.filters.http.fault.v3.HTTPFault', {}),
};

/** Outbound HCMs (sidecar ports, proxyless api listeners): fault injection before the router, as Istio. */
export const OUTBOUND_HTTP_FILTERS: readonly ProtoObject[] = [FAULT_FILTER, ROUTER_FILTER];

export function tcpProxyFilter(cluster: string, statPrefix: string = cluster): ProtoObject {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: typed(TCP_PROXY_TYPE, { stat_prefix: statPrefix, cluster }),
  };
}

/** tcp_proxy splitting connections across clusters by weight (VirtualService tcp routes). */
export function tcpProxyWeightedFilter(
  clusters: readonly { name: string; weight: number }[],
  statPrefix: string,
): ProtoObject {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: typed(TCP_PROXY_TYPE, {
      stat_prefix: statPrefix,
      weighted_clusters: { clusters: clusters.map((c) => ({ name: c.name, weight: c.weight })) },
    }),
  };
}

/** A network filter running an HttpConnectionManager with the given fields (route specifier, filters…). */
export function httpConnectionManagerFilter(fields: ProtoObject): ProtoObject {
  return { name: 'envoy.filters.network.http_connection_manager', typed_config: typed(HCM_TYPE, fields) };
}

export const TLS_INSPECTOR: ProtoObject = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: typed('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {}),
};

export const ORIGINAL_DST: ProtoObject = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: typed('envoy.extensions.filters.listener.original_dst.v3.OriginalDst', {}),
};

export function socketAddress(address: string, port: number): ProtoObject {
  return { socket_address: { address, port_value: port } };
}
