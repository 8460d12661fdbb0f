import type { Cluster } from '../resource.ts';
import type { UpstreamHttpProtocolOptions } from '../../protos/generated/envoy/config/core/v3/UpstreamHttpProtocolOptions.ts';
import type { EffectivePolicy } from './destination-rule.ts';
import { circuitBreakers, connectTimeout, httpProtocolOptions } from './connection-pool.ts';
import { envoyPanicThreshold, grpcMaxEjectionPercent, panicThreshold } from './gateway-ejection.ts';
import { envoyLoadBalancer, grpcLoadBalancer } from './load-balancer.ts';
import { envoyOutlierDetection, grpcOutlierDetection } from './outlier-detection.ts';

/**
 * The cluster fields a DestinationRule's policy sets, for an Envoy outbound cluster. `forcesUnhealthy`
 * (a Service with trafficDistribution, sent its not-ready endpoints): panic threshold 0 whatever
 * minHealthPercent says, as Istio, so Envoy never balances to them. `upstreamTls`: the auto_sni /
 * auto_san_validation options of the cluster's TLS origination (envoy-tls.ts autoSniOptions).
 */
export function envoyPolicyFields(
  policy: EffectivePolicy,
  http2: boolean,
  gatewayRemedy: boolean,
  forcesUnhealthy = false,
  upstreamTls?: UpstreamHttpProtocolOptions,
): Cluster {
  const pool = policy.connectionPool;
  const outlier = policy.outlierDetection;
  const timeout = connectTimeout(pool);
  const protocolOptions = httpProtocolOptions(pool, http2, upstreamTls);
  return {
    ...(timeout ? { connect_timeout: timeout } : {}),
    ...envoyLoadBalancer(policy.loadBalancer),
    circuit_breakers: circuitBreakers(pool),
    common_lb_config: {
      locality_weighted_lb_config: {},
      healthy_panic_threshold: panicThreshold(
        outlier ? envoyPanicThreshold(forcesUnhealthy ? 0 : outlier.minHealthPercent, gatewayRemedy) : 0,
      ),
    },
    ...(outlier ? { outlier_detection: envoyOutlierDetection(outlier) } : {}),
    ...(protocolOptions ? { typed_extension_protocol_options: protocolOptions } : {}),
  };
}

/**
 * The same for proxyless gRPC: lb (ROUND_ROBIN / RING_HASH), max_requests, and outlier detection only
 * with optIn.grpcOutlierDetection (Istio sends gRPC clients none).
 */
export function grpcPolicyFields(policy: EffectivePolicy, gatewayRemedy: boolean, outlierOptIn: boolean): Cluster {
  const outlier = outlierOptIn ? policy.outlierDetection : undefined;
  let outlierFields: Cluster['outlier_detection'];
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
