import { duration } from '../../protos/any.ts';
import { altStatName, CONNECT_TIMEOUT_MS, DEFAULT_CIRCUIT_BREAKERS } from './cluster-common.ts';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER } from './names.ts';
import { clusterResource, type XdsResource } from '../resource.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { inboundPassthroughBind } from './ip-family.ts';

/** Istio's BlackHoleCluster: STATIC with no endpoints, so whatever is routed there is dropped. */
export function blackHoleCluster(connectTimeoutMs = CONNECT_TIMEOUT_MS): XdsResource {
  return clusterResource(BLACKHOLE_CLUSTER, {
    name: BLACKHOLE_CLUSTER,
    type: 'STATIC',
    alt_stat_name: altStatName(BLACKHOLE_CLUSTER),
    connect_timeout: duration(connectTimeoutMs),
  });
}

/** Istio's PassthroughCluster: connect to the connection's original destination (outboundTrafficPolicy ALLOW_ANY). */
export function passthroughCluster(connectTimeoutMs = CONNECT_TIMEOUT_MS): XdsResource {
  return clusterResource(PASSTHROUGH_CLUSTER, {
    name: PASSTHROUGH_CLUSTER,
    type: 'ORIGINAL_DST',
    alt_stat_name: altStatName(PASSTHROUGH_CLUSTER),
    connect_timeout: duration(connectTimeoutMs),
    lb_policy: 'CLUSTER_PROVIDED',
    circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
  });
}

/**
 * Istio's InboundPassthroughCluster: inbound traffic to a port no service declares goes to the
 * original destination, from 127.0.0.6 (::6 for an IPv6-only proxy, both for a dual-stack one) so that
 * iptables does not capture it a second time.
 */
export function inboundPassthroughCluster(view: ProxyView, connectTimeoutMs = CONNECT_TIMEOUT_MS): XdsResource {
  return clusterResource(INBOUND_PASSTHROUGH_CLUSTER, {
    name: INBOUND_PASSTHROUGH_CLUSTER,
    type: 'ORIGINAL_DST',
    // As Istio: the inbound passthrough's stats go under PassthroughCluster.
    alt_stat_name: altStatName(PASSTHROUGH_CLUSTER),
    connect_timeout: duration(connectTimeoutMs),
    lb_policy: 'CLUSTER_PROVIDED',
    circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
    upstream_bind_config: inboundPassthroughBind(view),
  });
}
