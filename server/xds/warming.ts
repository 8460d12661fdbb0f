import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, type XdsTypeUrl } from '../../protos/type-urls.ts';
import type { TypeState } from './type-state.ts';

/**
 * Envoy's warming rules (envoyproxy docs, "Cluster warming" and "Listener warming"; istiod's
 * WarmingDependencies in pilot/pkg/model/context.go and forceEDSPush in pilot/pkg/xds/delta.go):
 * a cluster that a CDS response adds or changes is initialised again and stays warming until a
 * ClusterLoadAssignment for it arrives, even an unchanged one; Envoy then re-requests EDS with the
 * same names, version and nonce, which reads as an ACK. A listener added or changed by LDS waits for
 * its RouteConfiguration the same way. With Istio's `initial_fetch_timeout: 0s` a cluster or listener
 * left waiting never becomes active (kumahq/kuma#331), so the server sends the dependents again.
 */
export const WARMING_DEPENDENT: ReadonlyMap<XdsTypeUrl, XdsTypeUrl> = new Map<XdsTypeUrl, XdsTypeUrl>([
  [CLUSTER_TYPE, ENDPOINT_TYPE],
  [LISTENER_TYPE, ROUTE_TYPE],
]);

/**
 * The dependent names to send again after a response of `parentType` carried `changed` (resources
 * new to the stream or changed). EDS: the changed clusters' own assignments (an EDS cluster's
 * service_name is its name). RDS: every subscribed route, since which route a listener names is
 * inside the listener (istiod re-sends every route on such a push too).
 */
export function namesToWarm(parentType: XdsTypeUrl, changed: readonly string[], dependent: TypeState): string[] {
  if (changed.length === 0) return [];
  if (parentType === LISTENER_TYPE) return [...dependent.names];
  return changed.filter((name) => dependent.wants(name));
}
