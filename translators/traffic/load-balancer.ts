import type { RouteAction } from '../../protos/generated/envoy/config/route/v3/RouteAction.ts';
import type { Cluster } from '../resource.ts';
import { duration } from '../../protos/any.ts';
import type { ConsistentHashLb, LoadBalancerSettings } from '../../model/istio/types.ts';

/** Istio's default when a DestinationRule sets no simple policy. */
const DEFAULT_ENVOY_LB = 'LEAST_REQUEST';

/** Envoy's default minimum ring size, which Istio states when neither ringHash nor maglev is given. */
const DEFAULT_MIN_RING_SIZE = 1024;

/**
 * As Istio's ApplyRingHashLoadBalancer: with `ringHash`, its minimumRingSize when set; without ringHash
 * (nor maglev), the deprecated top-level minimumRingSize, else 1024, always stated.
 */
function ringSize(hash: ConsistentHashLb): number | undefined {
  if (hash.ringHash) return hash.ringHash.minimumRingSize || undefined;
  return hash.minimumRingSize || DEFAULT_MIN_RING_SIZE;
}

/** Envoy: lb_policy and its config. PASSTHROUGH (an ORIGINAL_DST cluster in Istio) is not supported: the default applies. */
export function envoyLoadBalancer(lb: LoadBalancerSettings | undefined): Cluster {
  const hash = lb?.consistentHash;
  if (hash?.maglev)
    return {
      lb_policy: 'MAGLEV',
      ...(hash.maglev.tableSize ? { maglev_lb_config: { table_size: { value: hash.maglev.tableSize } } } : {}),
    };
  if (hash) {
    const size = ringSize(hash);
    return { lb_policy: 'RING_HASH', ...(size ? { ring_hash_lb_config: { minimum_ring_size: { value: size } } } : {}) };
  }
  switch (lb?.simple) {
    case 'ROUND_ROBIN':
      return { lb_policy: 'ROUND_ROBIN' };
    case 'RANDOM':
      return { lb_policy: 'RANDOM' };
    default:
      return { lb_policy: DEFAULT_ENVOY_LB };
  }
}

/**
 * Proxyless gRPC: grpc-js-xds accepts ROUND_ROBIN and RING_HASH only (it rejects the whole
 * cluster otherwise), so consistent hashing (ring or maglev) → RING_HASH, every simple policy →
 * ROUND_ROBIN. gRPC's ring size must stay ≤ 8M (grpc-js-xds's limit).
 */
export function grpcLoadBalancer(lb: LoadBalancerSettings | undefined): Cluster {
  const hash = lb?.consistentHash;
  if (!hash) return { lb_policy: 'ROUND_ROBIN' };
  const size = ringSize(hash);
  return {
    lb_policy: 'RING_HASH',
    ...(size ? { ring_hash_lb_config: { minimum_ring_size: { value: Math.min(size, 8_388_608) } } } : {}),
  };
}

/** Route hash_policy for a consistent-hash destination: header, cookie, source IP or query parameter. */
export function hashPolicy(lb: LoadBalancerSettings | undefined): NonNullable<RouteAction['hash_policy']> {
  const hash = lb?.consistentHash;
  if (!hash) return [];
  if (hash.httpHeaderName) return [{ header: { header_name: hash.httpHeaderName } }];
  if (hash.httpCookie) {
    const { name, path, ttl } = hash.httpCookie;
    return [{ cookie: { name, ...(path ? { path } : {}), ...(ttl !== undefined ? { ttl: duration(ttl) } : {}) } }];
  }
  if (hash.useSourceIp) return [{ connection_properties: { source_ip: true } }];
  if (hash.httpQueryParameterName) return [{ query_parameter: { name: hash.httpQueryParameterName } }];
  return [];
}
