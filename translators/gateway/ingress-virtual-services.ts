import type { IstioConfig } from '../../model/istio/types.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { isExportedTo, resolveHost } from '../traffic/host-match.ts';

export type VirtualService = IstioConfig<'VirtualService'>;

/** A VirtualService's `gateways` as Istio resolves them: a short name is `<VirtualService namespace>/<name>`. */
export function resolvedGateways(vs: VirtualService): string[] {
  return (vs.spec.gateways ?? []).map((g) => (g === 'mesh' || g.includes('/') ? g : `${vs.meta.namespace}/${g}`));
}

/** A match-level `gateways` list, resolved the same way. */
export function resolveGatewayNames(gateways: readonly string[], namespace: string): string[] {
  return gateways.map((g) => (g === 'mesh' || g.includes('/') ? g : `${namespace}/${g}`));
}

/** Istio's configCompareByCreationTime: creation time (absent = oldest), then name, then namespace. */
function istioOrder(a: VirtualService, b: VirtualService): number {
  const ta = a.meta.creationTimestamp === undefined ? 0 : Date.parse(a.meta.creationTimestamp) || 0;
  const tb = b.meta.creationTimestamp === undefined ? 0 : Date.parse(b.meta.creationTimestamp) || 0;
  if (ta !== tb) return ta - tb;
  if (a.meta.name !== b.meta.name) return a.meta.name < b.meta.name ? -1 : 1;
  return a.meta.namespace < b.meta.namespace ? -1 : a.meta.namespace > b.meta.namespace ? 1 : 0;
}

function exportKind(vs: VirtualService): number {
  const exportTo = vs.spec.exportTo ?? [];
  if (exportTo.length === 0 || exportTo.includes('*')) return 2;
  return exportTo.length === 1 && exportTo[0] === '.' ? 0 : 1;
}

/**
 * The VirtualServices bound to a Gateway (`<namespace>/<name>`) that a router in `proxyNamespace` sees, in
 * the order of Istio's VirtualServicesForGateway: those private to the proxy's namespace, then those exported
 * to it by name, then public ones, each in creation-time order. Hosts are as Istio resolves them (short names
 * to FQDNs in the VirtualService's namespace). Pure.
 */
export function virtualServicesForGateway(
  snapshot: MeshSnapshot,
  proxyNamespace: string,
  gatewayName: string,
): VirtualService[] {
  return snapshot.istioConfig.virtualServices
    .filter(
      (vs) =>
        resolvedGateways(vs).includes(gatewayName) && isExportedTo(vs.spec.exportTo, vs.meta.namespace, proxyNamespace),
    )
    .sort((a, b) => exportKind(a) - exportKind(b) || istioOrder(a, b));
}

/** The VirtualService's hosts with short names resolved. */
export function virtualServiceHosts(snapshot: MeshSnapshot, vs: VirtualService): string[] {
  return vs.spec.hosts.map((h) => resolveHost(h, vs.meta.namespace, snapshot.domainSuffix));
}

/** Istio's host.Name.SubsetOf: `a` is covered by `b` (`*`, `*.suffix` or the same name). */
export function hostSubsetOf(a: string, b: string): boolean {
  if (b === '*') return true;
  if (a === '*') return false;
  if (a.startsWith('*')) return b.startsWith('*') && a.slice(1).endsWith(b.slice(1));
  if (b.startsWith('*')) return a.endsWith(b.slice(1));
  return a === b;
}

/** Istio's host.Names.Intersection: for each pair where one covers the other, the narrower one, once. */
export function hostIntersection(left: readonly string[], right: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of left)
    for (const r of right) {
      const pick = hostSubsetOf(l, r) ? l : hostSubsetOf(r, l) ? r : undefined;
      if (pick !== undefined && !out.includes(pick)) out.push(pick);
    }
  return out;
}

/** Istio's host.NamesForNamespace: a server's hosts as a VirtualService of `namespace` sees them. */
export function serverHostsForNamespace(hosts: readonly string[], namespace: string): string[] {
  return hosts.flatMap((h) => {
    const slash = h.indexOf('/');
    if (slash < 0) return [h];
    const ns = h.slice(0, slash);
    return ns === namespace || ns === '*' ? [h.slice(slash + 1)] : [];
  });
}

/** Istio's Name.Matches: either host covers the other. */
export function hostsMatch(a: string, b: string): boolean {
  return hostSubsetOf(a, b) || hostSubsetOf(b, a);
}
