import { duration } from '../protos/any.ts';
import { LISTENER_TYPE } from '../protos/type-urls.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { ORIGINAL_DST, socketAddress, TLS_INSPECTOR, tcpProxyFilter } from './filters.ts';
import { BLACKHOLE_CLUSTER, inboundClusterName, INBOUND_PASSTHROUGH_CLUSTER, VIRTUAL_INBOUND_LISTENER, VIRTUAL_INBOUND_PORT } from './names.ts';
import type { XdsResource } from './resource.ts';
import { ISTIO_ALPN_MATCH, istioDownstreamTls } from './tls.ts';
import { workloadInstances, workloadPorts } from './workload.ts';

/** Istio's PILOT_INBOUND_PROTOCOL_DETECTION_TIMEOUT: how long tls_inspector waits for a server-first protocol. */
const INSPECTION_TIMEOUT_MS = 1_000;
/** What the inbound TLS server offers: the mesh ALPN Envoy clients send (no metadata-exchange filter here). */
const INBOUND_TLS_ALPN = ['istio'];

/**
 * `virtualInbound` (0.0.0.0:15006), where iptables sends every inbound connection; original_dst
 * recovers the port, tls_inspector the transport and ALPN. Per workload port, PERMISSIVE mTLS as
 * Istio's default: Istio mTLS (tls + Istio ALPN) is terminated with SDS `default` / `ROOTCA`
 * and a required client certificate; plaintext and the application's own TLS pass through as is.
 * All three go to `inbound|<port>||` by tcp_proxy: meshpilot does no inbound HTTP processing yet,
 * so every protocol (gRPC included) reaches the application unchanged. Other ports pass through
 * to the original destination; connections to 15006 itself are dropped. Pure.
 */
export function buildSidecarInboundListener(snapshot: MeshSnapshot, view: ProxyView): XdsResource {
  const chains: Record<string, unknown>[] = [
    { name: 'virtualInbound-blackhole', filter_chain_match: { destination_port: { value: VIRTUAL_INBOUND_PORT } }, filters: [tcpProxyFilter(BLACKHOLE_CLUSTER)] },
  ];
  for (const port of workloadPorts(workloadInstances(snapshot, view))) {
    const cluster = inboundClusterName(port);
    const destination_port = { value: port };
    chains.push(
      {
        name: `${cluster}-mtls`,
        filter_chain_match: { destination_port, transport_protocol: 'tls', application_protocols: [...ISTIO_ALPN_MATCH] },
        transport_socket: istioDownstreamTls(INBOUND_TLS_ALPN),
        filters: [tcpProxyFilter(cluster)],
      },
      { name: `${cluster}-tls-passthrough`, filter_chain_match: { destination_port, transport_protocol: 'tls' }, filters: [tcpProxyFilter(cluster)] },
      { name: `${cluster}-plaintext`, filter_chain_match: { destination_port, transport_protocol: 'raw_buffer' }, filters: [tcpProxyFilter(cluster)] },
    );
  }
  return {
    name: VIRTUAL_INBOUND_LISTENER,
    typeUrl: LISTENER_TYPE,
    object: {
      name: VIRTUAL_INBOUND_LISTENER,
      address: socketAddress('0.0.0.0', VIRTUAL_INBOUND_PORT),
      filter_chains: chains,
      default_filter_chain: { name: 'InboundPassthroughFilterChain', filters: [tcpProxyFilter(INBOUND_PASSTHROUGH_CLUSTER)] },
      listener_filters: [ORIGINAL_DST, TLS_INSPECTOR],
      listener_filters_timeout: duration(INSPECTION_TIMEOUT_MS),
      continue_on_listener_filters_timeout: true,
      traffic_direction: 'INBOUND',
    },
  };
}
