import { duration } from '../../protos/any.ts';
import type { OutlierDetection as EnvoyOutlierDetection } from '../../protos/generated/envoy/config/cluster/v3/OutlierDetection.ts';
import type { OutlierDetection } from '../../model/istio/types.ts';

const ENFORCE = { value: 100 };
const OFF = { value: 0 };

function timing(outlier: OutlierDetection): EnvoyOutlierDetection {
  return {
    ...(outlier.interval !== undefined ? { interval: duration(outlier.interval) } : {}),
    ...(outlier.baseEjectionTime !== undefined ? { base_ejection_time: duration(outlier.baseEjectionTime) } : {}),
    ...(outlier.maxEjectionPercent !== undefined
      ? { max_ejection_percent: { value: outlier.maxEjectionPercent } }
      : {}),
  };
}

/** Envoy, as Istio's applyOutlierDetection: consecutive errors enforced at 100 %, success-rate ejection off. */
export function envoyOutlierDetection(outlier: OutlierDetection): EnvoyOutlierDetection {
  const consecutive5xx = outlier.consecutive5xxErrors;
  const gateway = outlier.consecutiveGatewayErrors;
  const localOrigin = outlier.splitExternalLocalOriginErrors === true;
  return {
    ...timing(outlier),
    ...(consecutive5xx !== undefined
      ? { consecutive_5xx: { value: consecutive5xx }, enforcing_consecutive_5xx: consecutive5xx > 0 ? ENFORCE : OFF }
      : {}),
    ...(gateway !== undefined
      ? {
          consecutive_gateway_failure: { value: gateway },
          enforcing_consecutive_gateway_failure: gateway > 0 ? ENFORCE : OFF,
        }
      : {}),
    ...(localOrigin
      ? {
          split_external_local_origin_errors: true,
          ...(outlier.consecutiveLocalOriginFailures !== undefined
            ? {
                consecutive_local_origin_failure: { value: outlier.consecutiveLocalOriginFailures },
                enforcing_consecutive_local_origin_failure: ENFORCE,
              }
            : {}),
        }
      : {}),
    enforcing_success_rate: OFF,
  };
}

/** The failure percentage above which proxyless gRPC ejects a host (see grpcOutlierDetection). */
export const GRPC_FAILURE_PERCENTAGE_THRESHOLD = 50;

/**
 * Proxyless gRPC implements only success-rate and failure-percentage ejection (gRFC A50), not
 * consecutive errors. Istio's "N consecutive errors" becomes: a host with at least N calls in an
 * interval of which more than 50 % failed is ejected (any host count: minimum_hosts 1);
 * success-rate ejection, on by default in gRPC, is turned off as Istio does for Envoy.
 */
export function grpcOutlierDetection(outlier: OutlierDetection): EnvoyOutlierDetection {
  const volume = outlier.consecutive5xxErrors ?? outlier.consecutiveGatewayErrors ?? 5;
  return {
    ...timing(outlier),
    enforcing_success_rate: OFF,
    ...(volume > 0
      ? {
          enforcing_failure_percentage: ENFORCE,
          failure_percentage_threshold: { value: GRPC_FAILURE_PERCENTAGE_THRESHOLD },
          failure_percentage_minimum_hosts: { value: 1 },
          failure_percentage_request_volume: { value: volume },
        }
      : {}),
  };
}
