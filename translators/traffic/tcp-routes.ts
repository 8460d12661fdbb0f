import type { L4MatchAttributes, RouteDestination } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import { tcpProxyFilter, tcpProxyWeightedFilter } from '../common/filters.ts';
import { outboundClusterName } from '../common/names.ts';
import type { Filter } from '../resource.ts';
import { destinationCluster, virtualServiceFor, type VirtualService } from './virtual-service.ts';

function applies(match: L4MatchAttributes, port: number, view: ProxyView): boolean {
  if (match.port !== undefined && match.port !== port) return false;
  if (match.sourceNamespace !== undefined && match.sourceNamespace !== view.namespace) return false;
  if (match.gateways && match.gateways.length > 0 && !match.gateways.includes('mesh')) return false;
  // destinationSubnets and sourceLabels need filter-chain matching / pod labels: not supported yet.
  return match.destinationSubnets === undefined && match.sourceLabels === undefined;
}

/**
 * The tcp_proxy of a sidecar's `<vip>_<port>` listener: the first VirtualService tcp route that
 * applies (no match, or matches on port / source namespace / mesh gateway only) with its weighted
 * destinations, else the service's own cluster. Routes needing several filter chains
 * (destinationSubnets) or pod labels are not supported yet and are skipped. Pure.
 */
export function serviceTcpProxyFilter(
  snapshot: MeshSnapshot,
  view: ProxyView,
  service: MeshService,
  port: number,
): Filter {
  const fallback = tcpProxyFilter(outboundClusterName(port, '', service.hostname));
  const vs = virtualServiceFor(snapshot.istioConfig, service, view.namespace, snapshot.domainSuffix);
  const route = vs?.spec.tcp?.find(
    (r) => !r.match || r.match.length === 0 || r.match.some((m) => applies(m, port, view)),
  );
  if (!vs || !route) return fallback;
  const target = tcpRouteTarget(snapshot, vs, route.route, port);
  if (!target) return fallback;
  const statPrefix = outboundClusterName(port, '', service.hostname);
  return 'cluster' in target
    ? tcpProxyFilter(target.cluster, statPrefix)
    : tcpProxyWeightedFilter(target.weighted, statPrefix);
}

/** Where a tcp route sends traffic: one cluster, or several with weights summing to 100. */
export type TcpRouteTarget =
  { readonly cluster: string } | { readonly weighted: readonly { readonly name: string; readonly weight: number }[] };

/**
 * The clusters of a tcp route's destinations (those that resolve): undefined when none does, one
 * cluster as is, several with their weights (equal shares of 100 when none is given), zero weights
 * left out. Shared by sidecar listeners and ingress gateway servers. Pure.
 */
export function tcpRouteTarget(
  snapshot: MeshSnapshot,
  vs: VirtualService,
  routes: readonly RouteDestination[],
  port: number,
): TcpRouteTarget | undefined {
  const targets = routes.flatMap((d) => {
    const found = destinationCluster(snapshot, vs, d.destination, port);
    return found ? [{ cluster: found.cluster, weight: d.weight }] : [];
  });
  if (targets.length === 0) return undefined;
  if (targets.length === 1) return { cluster: targets[0]!.cluster };
  const equal = targets.every((t) => t.weight === undefined);
  const weighted = targets
    .map((t, i) => ({
      name: t.cluster,
      weight: equal ? Math.floor(100 / targets.length) + (i < 100 % targets.length ? 1 : 0) : (t.weight ?? 0),
    }))
    .filter((t) => t.weight > 0);
  return { weighted };
}
