/**
 * Istio's host names in config: a short name ("reviews") is relative to the config's namespace,
 * anything with a dot is taken as written; "*" and "*.suffix" are wildcards.
 */

export function resolveHost(host: string, namespace: string, domainSuffix: string): string {
  if (host === '*' || host.startsWith('*.') || host.includes('.')) return host;
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

export function hostMatches(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1));
  return pattern === hostname;
}

/** Higher is more specific: an exact name beats any wildcard; a longer wildcard beats a shorter one. */
export function hostSpecificity(pattern: string): number {
  if (pattern === '*') return 0;
  if (pattern.startsWith('*.')) return pattern.length;
  return Number.MAX_SAFE_INTEGER;
}

/** Istio's exportTo: absent or "*" = every namespace, "." = the config's own namespace, else the listed ones. */
export function isExportedTo(
  exportTo: readonly string[] | undefined,
  configNamespace: string,
  viewNamespace: string,
): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some(
    (entry) => entry === '*' || (entry === '.' ? configNamespace === viewNamespace : entry === viewNamespace),
  );
}

/** Istio's precedence between configs for one host: the proxy's namespace, the service's, the root namespace, any other. */
export function namespaceRank(
  configNamespace: string,
  viewNamespace: string,
  serviceNamespace: string,
  rootNamespace: string,
): number {
  if (configNamespace === viewNamespace) return 0;
  if (configNamespace === serviceNamespace) return 1;
  if (configNamespace === rootNamespace) return 2;
  return 3;
}
