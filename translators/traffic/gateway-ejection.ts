import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import type { EffectivePolicy } from './destination-rule.ts';

/**
 * The east-west gateway ejection remedy (README, "East-west gateway ejection remedy").
 *
 * A proxy reaches another network's endpoints through that network's gateways, often a single
 * address: one gateway endpoint stands for every remote workload. Outlier detection judges that
 * endpoint by the errors of all of them, and ejecting it removes the whole remote network.
 *
 * The rule applies to clusters with outlier detection that may hold gateway endpoints for the view.
 * CDS must not depend on endpoint lists (the cache re-sends CDS only on service or config changes),
 * so "may hold" is judged from services and gateways: the view has a network, and another network
 * (inside the view's REQUESTED_NETWORK_VIEW, if any) has a gateway either in one of the service's
 * kube clusters or given by address (whose kube cluster is unknown, so it counts).
 */
export function mayHoldGatewayEndpoints(snapshot: MeshSnapshot, service: MeshService, view: ProxyView): boolean {
  if (view.network === '') return false;
  for (const [network, gateways] of snapshot.gateways) {
    if (network === view.network || network === '') continue;
    if (view.requestedNetworkView.length > 0 && !view.requestedNetworkView.includes(network)) continue;
    if (gateways.some((g) => g.kubeCluster === undefined || service.kubeClusters.includes(g.kubeCluster))) return true;
  }
  return false;
}

/**
 * Envoy: Istio sets healthy_panic_threshold to minHealthPercent (default 0: panic mode off), so
 * once every host of a priority is ejected Envoy fails requests. Keeping it at least 1 % means
 * that when all hosts are ejected or unhealthy Envoy still balances across them — the last
 * gateway endpoint keeps carrying traffic to its network. Above 1 % the user's value stands.
 */
export const GATEWAY_PANIC_THRESHOLD_PERCENT = 1;

/**
 * common_lb_config.healthy_panic_threshold as Istio sends it: 0 % (an empty Percent, panic mode off)
 * unless outlier detection sets it. Without it Envoy's default is 50 %: with half the hosts
 * unhealthy Envoy would balance over all of them, including the not-ready endpoints EDS sends as
 * UNHEALTHY.
 */
export function panicThreshold(percent: number): { value?: number } {
  return percent === 0 ? {} : { value: percent };
}

export function envoyPanicThreshold(minHealthPercent: number | undefined, gatewayRemedy: boolean): number {
  const configured = minHealthPercent ?? 0;
  return gatewayRemedy ? Math.max(configured, GATEWAY_PANIC_THRESHOLD_PERCENT) : configured;
}

/**
 * Proxyless gRPC has no panic mode, and its max_ejection_percent is checked before each
 * ejection over all hosts of the cluster: any value above 0 allows ejecting one host, which may
 * be a network's only gateway endpoint; and a bound that allows k ejections depends on the host
 * count, which CDS cannot see. So for such clusters the bound is 0: no ejection for proxyless
 * clients of services reached through a gateway; clusters reaching only local endpoints keep it.
 */
export function grpcMaxEjectionPercent(configured: number | undefined, gatewayRemedy: boolean): number | undefined {
  return gatewayRemedy ? 0 : configured;
}

/** optIn.gatewayEjectionRemedy: on for a cluster with outlier detection that may hold gateway endpoints. */
export function gatewayEjectionRemedy(
  snapshot: MeshSnapshot,
  view: ProxyView,
  service: MeshService,
  policy: EffectivePolicy,
): boolean {
  return (
    snapshot.optIn?.gatewayEjectionRemedy === true &&
    policy.outlierDetection !== undefined &&
    mayHoldGatewayEndpoints(snapshot, service, view)
  );
}
