import type { Destination, IstioConfig, IstioConfigSet } from '../../model/istio/types.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import { outboundClusterName } from '../common/names.ts';
import { oldestFirst } from '../../model/istio/config-set.ts';
import { hostMatches, hostSpecificity, isExportedTo, namespaceRank, resolveHost } from './host-match.ts';

export type VirtualService = IstioConfig<'VirtualService'>;

/** The mesh gateway: VirtualServices without `gateways`, or listing "mesh", apply to sidecars and proxyless gRPC. */
function appliesToMesh(gateways: readonly string[] | undefined): boolean {
  return !gateways || gateways.length === 0 || gateways.includes('mesh');
}

/**
 * The VirtualService routing traffic to `service` for proxies in `viewNamespace`: exported there,
 * bound to the mesh gateway, with a host matching the service (short names resolved in the
 * VirtualService's namespace). One wins — Istio merges several only in narrow cases, meshpilot
 * never: the most specific host, then the proxy's namespace, the service's, the root namespace,
 * then the oldest. Pure.
 */
export function virtualServiceFor(
  config: IstioConfigSet,
  service: MeshService,
  viewNamespace: string,
  domainSuffix: string,
): VirtualService | undefined {
  let best: { vs: VirtualService; specificity: number; rank: number } | undefined;
  for (const vs of config.virtualServices) {
    if (!appliesToMesh(vs.spec.gateways)) continue;
    if (!isExportedTo(vs.spec.exportTo, vs.meta.namespace, viewNamespace)) continue;
    const specificity = Math.max(
      -1,
      ...vs.spec.hosts
        .map((h) => resolveHost(h, vs.meta.namespace, domainSuffix))
        .filter((h) => hostMatches(h, service.hostname))
        .map(hostSpecificity),
    );
    if (specificity < 0) continue;
    const rank = namespaceRank(vs.meta.namespace, viewNamespace, service.namespace, config.rootNamespace);
    if (
      !best ||
      specificity > best.specificity ||
      (specificity === best.specificity && (rank < best.rank || (rank === best.rank && oldestFirst(vs, best.vs) < 0)))
    ) {
      best = { vs, specificity, rank };
    }
  }
  return best?.vs;
}

/**
 * The Envoy cluster of a route destination: host resolved in the VirtualService's namespace; port
 * from the destination, else the port being routed if the target has it, else the target's only
 * port. Undefined when the port cannot be decided (Istio rejects such a route).
 */
export function destinationCluster(
  snapshot: MeshSnapshot,
  vs: VirtualService,
  destination: Destination,
  routedPort: number,
): { cluster: string; hostname: string } | undefined {
  const hostname = resolveHost(destination.host, vs.meta.namespace, snapshot.domainSuffix);
  const target = snapshot.services.get(hostname);
  let port = destination.port?.number;
  if (port === undefined) {
    if (!target || target.ports.some((p) => p.port === routedPort)) port = routedPort;
    else if (target.ports.length === 1) port = target.ports[0]!.port;
  }
  if (port === undefined) return undefined;
  return { cluster: outboundClusterName(port, destination.subset ?? '', hostname), hostname };
}
