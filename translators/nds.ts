import { NAME_TABLE_TYPE } from '../protos/type-urls.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshService, MeshSnapshot } from '../model/types.ts';
import type { XdsResource } from './resource.ts';

/** Istio sends the NameTable as one resource without a name (pilot/pkg/xds/nds.go). */
export const NAME_TABLE_RESOURCE_NAME = '';

/** VIPs of every kube cluster, the proxy's own kube cluster's first (a resolver answers with the first). */
function vipsFor(service: MeshService, view: ProxyView): string[] {
  const own = service.vips[view.kubeCluster];
  const others = Object.entries(service.vips)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, vip]) => vip);
  return [...new Set([...(own ? [own] : []), ...others])];
}

/** A headless service resolves to its ready endpoints on the proxy's network, as kube-dns does for its own cluster. */
function headlessIps(snapshot: MeshSnapshot, service: MeshService, view: ProxyView): string[] {
  const ips = new Set<string>();
  for (const endpoints of snapshot.endpoints.get(service.hostname)?.values() ?? []) {
    for (const endpoint of endpoints) {
      const sameNetwork = view.network === '' || endpoint.network === '' || endpoint.network === view.network;
      if (endpoint.ready && sameNetwork) ips.add(endpoint.address);
    }
  }
  return [...ips].sort();
}

/**
 * NDS: hostname → IPs of every service the proxy may reach, including services that exist only
 * in other kube clusters (the point of DNS capture in multicluster: kube-dns does not know them).
 * The agent itself answers the short forms (name, name.ns, …) from shortname and namespace. Pure.
 */
export function buildNameTable(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const table: Record<string, Record<string, unknown>> = {};
  for (const service of snapshot.services.values()) {
    const ips = service.headless ? headlessIps(snapshot, service, view) : vipsFor(service, view);
    if (ips.length === 0) continue;
    table[service.hostname] = { ips, registry: 'Kubernetes', shortname: service.name, namespace: service.namespace };
  }
  return [{ name: NAME_TABLE_RESOURCE_NAME, typeUrl: NAME_TABLE_TYPE, object: { table } }];
}
