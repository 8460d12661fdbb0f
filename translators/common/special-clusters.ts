import { duration } from '../../protos/any.ts';
import { CLUSTER_TYPE } from '../../protos/type-urls.ts';
import { CONNECT_TIMEOUT_MS, DEFAULT_CIRCUIT_BREAKERS } from './cluster-common.ts';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER } from './names.ts';
import type { XdsResource } from '../resource.ts';

/** Istio's BlackHoleCluster: STATIC with no endpoints, so whatever is routed there is dropped. */
export function blackHoleCluster(): XdsResource {
  return {
    name: BLACKHOLE_CLUSTER,
    typeUrl: CLUSTER_TYPE,
    object: { name: BLACKHOLE_CLUSTER, type: 'STATIC', connect_timeout: duration(CONNECT_TIMEOUT_MS) },
  };
}

/** Istio's PassthroughCluster: connect to the connection's original destination (outboundTrafficPolicy ALLOW_ANY). */
export function passthroughCluster(): XdsResource {
  return {
    name: PASSTHROUGH_CLUSTER,
    typeUrl: CLUSTER_TYPE,
    object: {
      name: PASSTHROUGH_CLUSTER,
      type: 'ORIGINAL_DST',
      connect_timeout: duration(CONNECT_TIMEOUT_MS),
      lb_policy: 'CLUSTER_PROVIDED',
      circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
    },
  };
}

/**
 * Istio's InboundPassthroughCluster: inbound traffic to a port no service declares goes to the
 * original destination, from 127.0.0.6 so that iptables does not capture it a second time.
 */
export function inboundPassthroughCluster(): XdsResource {
  return {
    name: INBOUND_PASSTHROUGH_CLUSTER,
    typeUrl: CLUSTER_TYPE,
    object: {
      name: INBOUND_PASSTHROUGH_CLUSTER,
      type: 'ORIGINAL_DST',
      connect_timeout: duration(CONNECT_TIMEOUT_MS),
      lb_policy: 'CLUSTER_PROVIDED',
      circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
      upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } },
    },
  };
}
