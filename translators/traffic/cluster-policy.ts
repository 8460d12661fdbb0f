import type { ProtoObject } from '../../protos/any.ts';
import type { Cluster } from '../resource.ts';
import type { EffectivePolicy } from './destination-rule.ts';
import { circuitBreakers, connectTimeout, httpProtocolOptions } from './connection-pool.ts';
import { envoyPanicThreshold, grpcMaxEjectionPercent, panicThreshold } from './gateway-ejection.ts';
import { envoyLoadBalancer, grpcLoadBalancer } from './load-balancer.ts';
import { envoyOutlierDetection, grpcOutlierDetection } from './outlier-detection.ts';

/** The cluster fields a DestinationRule's policy sets, for an Envoy outbound cluster. */
export function envoyPolicyFields(policy: EffectivePolicy, http2: boolean, gatewayRemedy: boolean): Cluster {
  const pool = policy.connectionPool;
  const outlier = policy.outlierDetection;
  const timeout = connectTimeout(pool);
  const protocolOptions = httpProtocolOptions(pool, http2);
  return {
    ...(timeout ? { connect_timeout: timeout } : {}),
    ...envoyLoadBalancer(policy.loadBalancer),
    circuit_breakers: circuitBreakers(pool),
    common_lb_config: {
      locality_weighted_lb_config: {},
      healthy_panic_threshold: panicThreshold(
        outlier ? envoyPanicThreshold(outlier.minHealthPercent, gatewayRemedy) : 0,
      ),
    },
    ...(outlier ? { outlier_detection: envoyOutlierDetection(outlier) } : {}),
    ...(protocolOptions ? { typed_extension_protocol_options: protocolOptions } : {}),
  };
}

/** The same for proxyless gRPC: lb (ROUND_ROBIN / RING_HASH), max_requests, outlier detection. */
export function grpcPolicyFields(policy: EffectivePolicy, gatewayRemedy: boolean): Cluster {
  const outlier = policy.outlierDetection;
  let outlierFields: ProtoObject | undefined;
  if (outlier) {
    const maxEjection = grpcMaxEjectionPercent(outlier.maxEjectionPercent, gatewayRemedy);
    const { max_ejection_percent: _configured, ...rest } = grpcOutlierDetection(outlier);
    outlierFields = { ...rest, ...(maxEjection !== undefined ? { max_ejection_percent: { value: maxEjection } } : {}) };
  }
  return {
    ...grpcLoadBalancer(policy.loadBalancer),
    ...(policy.connectionPool ? { circuit_breakers: circuitBreakers(policy.connectionPool) } : {}),
    ...(outlierFields ? { outlier_detection: outlierFields } : {}),
  };
}
