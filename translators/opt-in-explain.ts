import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { outboundClusterName } from './common/names.ts';
import { destinationRuleFor, effectivePolicy, subsetsOf } from './traffic/destination-rule.ts';
import { gatewayEjectionRemedy } from './traffic/gateway-ejection.ts';

/** One meshpilot opt-in (meshpilot.yaml `optIn:`) that changes a cluster a proxy is sent, and how. */
export interface OptInEffect {
  /** The config key, e.g. `optIn.gatewayEjectionRemedy`. */
  readonly key: string;
  readonly cluster: string;
  readonly effect: string;
}

/**
 * Every opt-in that makes one of a service's outbound clusters differ from Istio's for this view:
 * what `explain` shows beside the endpoints. Derived from the same predicates as the CDS translator
 * (gatewayEjectionRemedy, the gRPC outlier detection switch), so it names exactly what is sent. Pure.
 */
export function explainOptIns(snapshot: MeshSnapshot, view: ProxyView, hostname: string): OptInEffect[] {
  const service = snapshot.services.get(hostname);
  if (!service || service.headless) return [];
  const rule = destinationRuleFor(snapshot.istioConfig, service, view.namespace, snapshot.domainSuffix);
  const grpc = view.generator === 'grpc';
  const out: OptInEffect[] = [];
  for (const port of service.ports) {
    for (const subset of [undefined, ...subsetsOf(rule)]) {
      const cluster = outboundClusterName(port.port, subset?.name ?? '', service.hostname);
      const policy = effectivePolicy(rule, port.port, subset);
      const grpcOutlier = grpc && snapshot.optIn?.grpcOutlierDetection === true && policy.outlierDetection;
      if (grpcOutlier)
        out.push({
          key: 'optIn.grpcOutlierDetection',
          cluster,
          effect:
            "the DestinationRule's outlier detection is sent as failure-percentage ejection (Istio sends proxyless gRPC none)",
        });
      if (gatewayEjectionRemedy(snapshot, view, service, policy) && (!grpc || grpcOutlier))
        out.push({
          key: 'optIn.gatewayEjectionRemedy',
          cluster,
          effect: grpc
            ? 'max_ejection_percent 0, so no gateway endpoint is ejected (Istio: no outlier detection for gRPC)'
            : 'healthy_panic_threshold at least 1 %, so the last gateway endpoint stays in rotation (Istio: minHealthPercent, default 0)',
        });
    }
  }
  return out;
}
