import type { Cluster } from '../../protos/generated/envoy/config/cluster/v3/Cluster.ts';
import type { ClusterLoadAssignment } from '../../protos/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshService } from '../../model/types.ts';
import { duration } from '../../protos/any.ts';
import { typedConfig } from './typed-config.ts';

/** How Envoy finds a cluster's endpoints, as Istio's convertResolution picks it for a service. */
export type Discovery = 'EDS' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'ORIGINAL_DST';

/**
 * Istio's convertResolution: a ServiceEntry of resolution DNS is STRICT_DNS, DNS_ROUND_ROBIN LOGICAL_DNS,
 * NONE ORIGINAL_DST (EDS for routers: a gateway cannot pass through); STATIC and kube Services EDS.
 * Proxyless gRPC clusters are always EDS (Istio's grpcgen builds no other type).
 */
export function discoveryOf(service: MeshService, view: ProxyView): Discovery {
  if (view.generator === 'grpc') return 'EDS';
  switch (service.serviceEntry?.resolution) {
    case 'DNS':
      return 'STRICT_DNS';
    case 'DNS_ROUND_ROBIN':
      return 'LOGICAL_DNS';
    case 'NONE':
      return view.proxyType === 'router' ? 'EDS' : 'ORIGINAL_DST';
    default:
      return 'EDS';
  }
}

// Istio's defaults: PILOT_DNS_CARES_UDP_MAX_QUERIES, MeshConfig dnsRefreshRate.
const CARES_UDP_MAX_QUERIES = 100;
const DNS_REFRESH_RATE_MS = 60_000;

/** Istio's SelectDNSLookupFamily: IPv6-only proxies V6_ONLY, every other (dual-stack off) V4_ONLY. */
function dnsLookupFamily(view: ProxyView): 'V4_ONLY' | 'V6_ONLY' {
  return view.ipFamily === 'ipv6' ? 'V6_ONLY' : 'V4_ONLY';
}

/**
 * The discovery fields of an Envoy cluster that is not EDS, as Istio's ClusterBuilder.buildCluster sets
 * them: DNS clusters resolve with c-ares (udp_max_queries 100), a 60 s refresh that
 * respects the TTL, and carry their endpoints inline (the same locality groups EDS would send, gateways
 * included); ORIGINAL_DST clusters pick the connection's original destination (lb_policy CLUSTER_PROVIDED).
 * Undefined for a DNS cluster without endpoints: Istio sends no such cluster.
 */
export function nonEdsFields(
  discovery: Exclude<Discovery, 'EDS'>,
  view: ProxyView,
  loadAssignment: ClusterLoadAssignment | undefined,
): Cluster | undefined {
  if (discovery === 'ORIGINAL_DST') return { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' };
  if (loadAssignment === undefined || (loadAssignment.endpoints ?? []).length === 0) return undefined;
  return {
    type: discovery,
    dns_lookup_family: dnsLookupFamily(view),
    typed_dns_resolver_config: {
      name: 'envoy.network.dns_resolver.cares',
      typed_config: typedConfig('envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig', {
        udp_max_queries: { value: CARES_UDP_MAX_QUERIES },
      }),
    },
    dns_refresh_rate: duration(DNS_REFRESH_RATE_MS),
    respect_dns_ttl: true,
    load_assignment: loadAssignment,
  };
}
