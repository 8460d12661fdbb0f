import type { MeshSnapshot } from '../../model/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { primaryWildcard } from '../common/ip-family.ts';
import { socketAddress, TLS_INSPECTOR, tcpProxyFilter } from '../common/filters.ts';
import { addressPortName, GATEWAY_PASSTHROUGH_PORT, sniName } from '../common/names.ts';
import { type XdsResource, listenerResource } from '../resource.ts';
import { sniDnatTargets } from './sni-clusters.ts';
import { hostMatches } from './selected-gateways.ts';
import { ISTIO_ALPN_MATCH } from '../security/istio-tls.ts';
import { MAX_CONNECTIONS_PER_SOCKET_EVENT, TRANSPORT_SOCKET_CONNECT_TIMEOUT } from '../common/listener-tuning.ts';

/**
 * The east-west gateway's AUTO_PASSTHROUGH listener `0.0.0.0_<port>` (seed shape; 15443 by default; `::_<port>`
 * for an IPv6-only gateway):
 * tls_inspector reads the SNI; one filter chain per service port (and subset) matches
 * `outbound_.<port>_.<subset>_.<fqdn>` and the Istio mTLS ALPNs, and tcp_proxies the still-encrypted
 * connection to the cluster of that name. No TLS termination: the mTLS session is between the two
 * sidecars. With `hosts` (an AUTO_PASSTHROUGH Gateway server's DNS names), only services whose hostname
 * one of them covers get a chain, as Istio's builtAutoPassthroughFilterChains; without (ROUTER_MODE
 * sni-dnat and no Gateway), every service. The istio.stats wasm filter of the seed is left out (its type
 * is not an Envoy proto). REQUESTED_NETWORK_VIEW does not apply here. Pure.
 */
export function buildGatewayPassthroughListener(
  snapshot: MeshSnapshot,
  view: ProxyView,
  port: number = GATEWAY_PASSTHROUGH_PORT,
  hosts?: readonly string[],
): XdsResource {
  // As Istio's buildGatewayListeners: bound to the proxy's first wildcard, `::` for an IPv6-only gateway.
  const bind = primaryWildcard(view);
  const name = addressPortName(bind, port);
  const targets = sniDnatTargets(snapshot, view.namespace).filter(
    ({ service }) => hosts === undefined || hosts.some((host) => hostMatches(service.hostname, host)),
  );
  const filterChains = targets.map(({ service, port: servicePort, subset }) => {
    const sni = sniName(servicePort.port, subset, service.hostname);
    return {
      filter_chain_match: { server_names: [sni], application_protocols: [...ISTIO_ALPN_MATCH] },
      filters: [tcpProxyFilter(sni, sni)],
      transport_socket_connect_timeout: TRANSPORT_SOCKET_CONNECT_TIMEOUT,
    };
  });
  return listenerResource(name, {
    name,
    address: socketAddress(bind, port),
    filter_chains: filterChains,
    listener_filters: [TLS_INSPECTOR],
    traffic_direction: 'OUTBOUND',
    max_connections_to_accept_per_socket_event: MAX_CONNECTIONS_PER_SOCKET_EVENT,
  });
}
