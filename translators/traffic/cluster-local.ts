import type { MeshConfigDefaults } from '../../model/types.ts';

/** Istio's default cluster-local namespaces and services (pilot/pkg/model/cluster_local.go). */
const DEFAULT_CLUSTER_LOCAL_NAMESPACES = ['kube-system'];
const DEFAULT_CLUSTER_LOCAL_SERVICES = ['kubernetes.default.svc'];
/** The discovery address of Istio's default mesh config (istiod.istio-system.svc:15012), cluster-local by default. */
const DEFAULT_DISCOVERY_HOST = 'istiod.istio-system.svc';

function isWildcard(host: string): boolean {
  return host.startsWith('*');
}

function wildcardMatches(pattern: string, host: string): boolean {
  return pattern === '*' || host.endsWith(pattern.slice(1));
}

/**
 * Whether a service's endpoints are reachable only from proxies of their own kube cluster, as Istio's
 * ClusterLocalHosts: meshpilot.yaml `mesh.serviceSettings` (settings.clusterLocal per host or "*."
 * wildcard; the most specific entry wins), plus Istio's defaults (`*.kube-system.svc.<suffix>`,
 * `kubernetes.default.svc.<suffix>` and the discovery host), each of which a `clusterLocal: false`
 * entry naming it (or a host under its wildcard) removes. Pure.
 */
export function isClusterLocal(hostname: string, mesh: MeshConfigDefaults | undefined, domainSuffix: string): boolean {
  const defaults: (string | undefined)[] = [
    ...DEFAULT_CLUSTER_LOCAL_NAMESPACES.map((n) => `*.${n}.svc.${domainSuffix}`),
    ...DEFAULT_CLUSTER_LOCAL_SERVICES.map((s) => `${s}.${domainSuffix}`),
    `${DEFAULT_DISCOVERY_HOST}.${domainSuffix}`,
  ];
  const specific = new Map<string, boolean>();
  const wildcard = new Map<string, boolean>();
  for (const { settings, hosts } of mesh?.serviceSettings ?? []) {
    const local = settings?.clusterLocal === true;
    for (const host of hosts) {
      if (!local)
        defaults.forEach((d, i) => {
          if (d !== undefined && (host === d || (isWildcard(d) && host.endsWith(d.slice(1))))) defaults[i] = undefined;
        });
      (isWildcard(host) ? wildcard : specific).set(host, local);
    }
  }
  for (const d of defaults) if (d !== undefined) (isWildcard(d) ? wildcard : specific).set(d, true);
  const exact = specific.get(hostname);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const pattern of wildcard.keys())
    if (wildcardMatches(pattern, hostname) && (best === undefined || pattern.length > best.length)) best = pattern;
  return best === undefined ? false : (wildcard.get(best) ?? false);
}
