import type { L4MatchAttributes } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import { tcpProxyFilter, tcpProxyWeightedFilter } from '../common/filters.ts';
import { outboundClusterName } from '../common/names.ts';
import type { Filter } from '../resource.ts';
import { destinationCluster, virtualServiceFor } from './virtual-service.ts';

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
  const targets = route.route.flatMap((d) => {
    const found = destinationCluster(snapshot, vs, d.destination, port);
    return found ? [{ cluster: found.cluster, weight: d.weight }] : [];
  });
  if (targets.length === 0) return fallback;
  if (targets.length === 1) return tcpProxyFilter(targets[0]!.cluster, outboundClusterName(port, '', service.hostname));
  const equal = targets.every((t) => t.weight === undefined);
  const weighted = targets
    .map((t, i) => ({
      name: t.cluster,
      weight: equal ? Math.floor(100 / targets.length) + (i < 100 % targets.length ? 1 : 0) : (t.weight ?? 0),
    }))
    .filter((t) => t.weight > 0);
  return tcpProxyWeightedFilter(weighted, outboundClusterName(port, '', service.hostname));
}
