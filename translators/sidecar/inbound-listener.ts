import { duration } from '../../protos/any.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { ORIGINAL_DST, socketAddress, TLS_INSPECTOR, tcpProxyFilter } from '../common/filters.ts';
import { MAX_CONNECTIONS_PER_SOCKET_EVENT } from '../common/listener-tuning.ts';
import {
  BLACKHOLE_CLUSTER,
  inboundClusterName,
  INBOUND_PASSTHROUGH_CLUSTER,
  VIRTUAL_INBOUND_LISTENER,
  VIRTUAL_INBOUND_PORT,
} from '../common/names.ts';
import {
  type Filter,
  type FilterChain,
  type FilterChainMatch,
  type XdsResource,
  listenerResource,
} from '../resource.ts';
import { workloadRbac } from '../security/authorization-policy.ts';
import { mtlsModeForPort, workloadMtls, type EffectiveMtlsMode } from '../security/peer-authentication.ts';
import { networkRbacFilters } from '../security/rbac-filters.ts';
import { workloadScope } from '../security/workload-scope.ts';
import { statsFilters } from '../telemetry/stats-filter.ts';
import { ISTIO_ALPN_MATCH, istioDownstreamTls } from '../security/istio-tls.ts';
import { workloadInstances, workloadPorts } from '../common/workload.ts';
import { primaryWildcard } from '../common/ip-family.ts';

/** Istio's PILOT_INBOUND_PROTOCOL_DETECTION_TIMEOUT: how long tls_inspector waits for a server-first protocol. */
const INSPECTION_TIMEOUT_MS = 1_000;
/** What the inbound TLS server offers: the mesh ALPN Envoy clients send (no metadata-exchange filter here). */
const INBOUND_TLS_ALPN = ['istio'];

/**
 * The filter chains of one workload port for its PeerAuthentication mode, all ending in tcp_proxy
 * to `inbound|<port>||`:
 * - PERMISSIVE (Istio's default): Istio mTLS (tls + Istio ALPN) terminated with SDS `default` /
 *   `ROOTCA` and a required client certificate; the application's own TLS and plaintext as is.
 * - STRICT: every TLS connection is terminated as Istio mTLS (no client certificate, no
 *   connection); plaintext goes to BlackHoleCluster, so it cannot fall through to the passthrough chain.
 * - DISABLE: one chain for everything, nothing terminated.
 * `authz` (network RBAC, then istio.stats) runs before tcp_proxy on every chain that reaches the application.
 */
function portChains(port: number, mode: EffectiveMtlsMode, authz: readonly Filter[]): FilterChain[] {
  const cluster = inboundClusterName(port);
  const destination_port = { value: port };
  const forward = (): Filter[] => [...authz, tcpProxyFilter(cluster)];
  const mtls = (match: FilterChainMatch): FilterChain => ({
    name: `${cluster}-mtls`,
    filter_chain_match: { destination_port, transport_protocol: 'tls', ...match },
    transport_socket: istioDownstreamTls(INBOUND_TLS_ALPN),
    filters: forward(),
  });
  switch (mode) {
    case 'STRICT':
      return [
        mtls({}),
        {
          name: `${cluster}-plaintext-refused`,
          filter_chain_match: { destination_port, transport_protocol: 'raw_buffer' },
          filters: [tcpProxyFilter(BLACKHOLE_CLUSTER)],
        },
      ];
    case 'DISABLE':
      return [{ name: `${cluster}-plaintext`, filter_chain_match: { destination_port }, filters: forward() }];
    case 'PERMISSIVE':
      return [
        mtls({ application_protocols: [...ISTIO_ALPN_MATCH] }),
        {
          name: `${cluster}-tls-passthrough`,
          filter_chain_match: { destination_port, transport_protocol: 'tls' },
          filters: forward(),
        },
        {
          name: `${cluster}-plaintext`,
          filter_chain_match: { destination_port, transport_protocol: 'raw_buffer' },
          filters: forward(),
        },
      ];
  }
}

/**
 * A STRICT workload accepts only mTLS on ports it serves no service on, too (Istio's
 * InboundPassthroughFilterChain under STRICT): without a destination_port these lose to every
 * per-port chain, and keep plaintext from the default (passthrough) chain.
 */
function strictPassthroughChains(authz: readonly Filter[]): FilterChain[] {
  return [
    {
      name: 'InboundPassthroughFilterChain-mtls',
      filter_chain_match: { transport_protocol: 'tls' },
      transport_socket: istioDownstreamTls(INBOUND_TLS_ALPN),
      filters: [...authz, tcpProxyFilter(INBOUND_PASSTHROUGH_CLUSTER)],
    },
    {
      name: 'InboundPassthroughFilterChain-plaintext-refused',
      filter_chain_match: { transport_protocol: 'raw_buffer' },
      filters: [tcpProxyFilter(BLACKHOLE_CLUSTER)],
    },
  ];
}

/**
 * `virtualInbound` (0.0.0.0:15006), where iptables sends every inbound connection; original_dst
 * recovers the port, tls_inspector the transport and ALPN. Per workload port, the chains of its
 * PeerAuthentication mode (portChains), AuthorizationPolicy as network RBAC (no inbound HTTP
 * chains exist, so HTTP-only rule fields follow Istio's TCP rules: see translateRule), and Telemetry
 * metric overrides (mode SERVER) as an istio.stats filter. Every protocol (gRPC included) reaches the application by
 * tcp_proxy: meshpilot does no inbound HTTP processing yet. Other ports pass through to the
 * original destination (only over mTLS for a STRICT workload); connections to 15006 itself are dropped. Pure.
 */
export function buildSidecarInboundListener(snapshot: MeshSnapshot, view: ProxyView): XdsResource {
  const scope = workloadScope(snapshot, view);
  const mtls = workloadMtls(snapshot.istioConfig.peerAuthentications, scope);
  const { authorizationPolicies, telemetries } = snapshot.istioConfig;
  const authz = [
    ...networkRbacFilters(workloadRbac(authorizationPolicies, scope, 'tcp')),
    ...statsFilters(telemetries, scope, 'SERVER'),
  ];
  const chains: FilterChain[] = [
    {
      name: 'virtualInbound-blackhole',
      filter_chain_match: { destination_port: { value: VIRTUAL_INBOUND_PORT } },
      filters: [tcpProxyFilter(BLACKHOLE_CLUSTER)],
    },
  ];
  for (const port of workloadPorts(workloadInstances(snapshot, view)))
    chains.push(...portChains(port, mtlsModeForPort(mtls, port), authz));
  if (mtls.mode === 'STRICT') chains.push(...strictPassthroughChains(authz));
  return listenerResource(VIRTUAL_INBOUND_LISTENER, {
    name: VIRTUAL_INBOUND_LISTENER,
    address: socketAddress(primaryWildcard(view), VIRTUAL_INBOUND_PORT),
    filter_chains: chains,
    default_filter_chain: {
      name: 'InboundPassthroughFilterChain',
      filters: [...authz, tcpProxyFilter(INBOUND_PASSTHROUGH_CLUSTER)],
    },
    listener_filters: [ORIGINAL_DST, TLS_INSPECTOR],
    listener_filters_timeout: duration(INSPECTION_TIMEOUT_MS),
    continue_on_listener_filters_timeout: true,
    traffic_direction: 'INBOUND',
    max_connections_to_accept_per_socket_event: MAX_CONNECTIONS_PER_SOCKET_EVENT,
  });
}
