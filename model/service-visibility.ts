import type { MeshService, MeshSnapshot } from './types.ts';

/**
 * Istio's exportTo of a ServiceEntry's hosts: absent (or empty) or "*" = every namespace, "." = the
 * ServiceEntry's own namespace, "~" = none, else the namespaces named. The proxy's namespace decides
 * (every proxy type: sidecars, routers and proxyless clients, as Istio's default SidecarScope).
 */
export function isServiceExportedTo(service: MeshService, proxyNamespace: string): boolean {
  const exportTo = service.serviceEntry?.exportTo;
  if (exportTo === undefined || exportTo.length === 0) return true;
  return exportTo.some(
    (entry) => entry === '*' || (entry === '.' ? service.namespace === proxyNamespace : entry === proxyNamespace),
  );
}

function restricts(service: MeshService): boolean {
  const exportTo = service.serviceEntry?.exportTo;
  return exportTo !== undefined && exportTo.length > 0 && !exportTo.includes('*');
}

const restricted = new WeakMap<MeshSnapshot, boolean>();

/** Whether some service of the snapshot is hidden from some namespace (computed once per snapshot). */
export function hasRestrictedExports(snapshot: MeshSnapshot): boolean {
  let known = restricted.get(snapshot);
  if (known === undefined) {
    known = false;
    for (const service of snapshot.services.values()) {
      if (restricts(service)) {
        known = true;
        break;
      }
    }
    restricted.set(snapshot, known);
  }
  return known;
}
