import type { IstioConfig, IstioConfigSet } from './istio/types.ts';
import { hasRestrictedExports, isServiceExportedTo } from './service-visibility.ts';
import type { MeshService, MeshSnapshot, WorkloadEndpoint } from './types.ts';

/**
 * Istio's Sidecar egress scoping: which services a proxy of a namespace may reach. The Sidecar
 * without a workload selector in the proxy's namespace applies, else the one in the root
 * namespace; none means every service. Sidecars with a workload selector are not applied yet
 * (they would need the proxy's pod labels in its view).
 */
export interface EgressScope {
  readonly sidecar: string;
  /** Each host is `namespace/dnsName`: namespace `*`, `.` (the proxy's), `~` (none) or a name; dnsName `*`, `*.suffix` or a FQDN. */
  readonly hosts: readonly string[];
}

export function egressScopeFor(config: IstioConfigSet, namespace: string): EgressScope | undefined {
  const namespaceWide = (ns: string): IstioConfig<'Sidecar'> | undefined =>
    config.sidecars.find((s) => s.meta.namespace === ns && s.spec.workloadSelector === undefined);
  const sidecar = namespaceWide(namespace) ?? namespaceWide(config.rootNamespace);
  if (!sidecar?.spec.egress) return undefined;
  return {
    sidecar: `${sidecar.meta.namespace}/${sidecar.meta.name}`,
    hosts: sidecar.spec.egress.flatMap((listener) => listener.hosts),
  };
}

function hostMatches(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1));
  return pattern === hostname;
}

export function isVisible(scope: EgressScope, service: MeshService, proxyNamespace: string): boolean {
  return scope.hosts.some((entry) => {
    const slash = entry.indexOf('/');
    const ns = slash >= 0 ? entry.slice(0, slash) : '*';
    const host = slash >= 0 ? entry.slice(slash + 1) : entry;
    if (ns === '~') return false;
    const namespaceOk = ns === '*' || (ns === '.' ? service.namespace === proxyNamespace : service.namespace === ns);
    return namespaceOk && hostMatches(host, service.hostname);
  });
}

/**
 * The snapshot as a proxy in `namespace` sees it: only the services exported to its namespace (ServiceEntry
 * exportTo) and, when `applySidecar` (sidecars only, as Istio), that its namespace's Sidecar lets it reach. Pure.
 */
export function scopeSnapshot(snapshot: MeshSnapshot, namespace: string, applySidecar = true): MeshSnapshot {
  const scope = applySidecar ? egressScopeFor(snapshot.istioConfig, namespace) : undefined;
  const exports = hasRestrictedExports(snapshot);
  if (!scope && !exports) return snapshot;
  const services = new Map<string, MeshService>();
  const endpoints = new Map<string, ReadonlyMap<number, readonly WorkloadEndpoint[]>>();
  for (const [hostname, service] of snapshot.services) {
    if (scope && !isVisible(scope, service, namespace)) continue;
    if (exports && !isServiceExportedTo(service, namespace)) continue;
    services.set(hostname, service);
    const byPort = snapshot.endpoints.get(hostname);
    if (byPort) endpoints.set(hostname, byPort);
  }
  return { ...snapshot, services, endpoints };
}
