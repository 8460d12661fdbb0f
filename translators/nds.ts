import { NAME_TABLE_TYPE } from '../protos/type-urls.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshService, MeshSnapshot } from '../model/types.ts';
import type { XdsResource } from './resource.ts';
import { addressesOfFamily } from './common/ip-family.ts';

/** Istio sends the NameTable as one resource without a name (pilot/pkg/xds/nds.go). */
export const NAME_TABLE_RESOURCE_NAME = '';

/**
 * As Istio (Service.GetAllAddressesForProxy): the VIP of the proxy's own kube cluster when the
 * service exists there, else one VIP, the service's default address (its first kube cluster's); for a
 * single-family proxy only a VIP of its family (FilterAddressesByIPFamily), else none.
 */
function vipsFor(service: MeshService, view: ProxyView): string[] {
  const own = service.vips[view.kubeCluster];
  const ownOfFamily = own === undefined ? [] : addressesOfFamily([own], view);
  if (ownOfFamily.length > 0) return ownOfFamily;
  const first = service.kubeClusters.map((c) => service.vips[c]).find((vip) => vip !== undefined);
  return first === undefined ? [] : addressesOfFamily([first], view);
}

/**
 * A headless service resolves to the ready endpoints of its first port on the proxy's network (or
 * without one), in every kube cluster, as Istio's name table builds it.
 */
function headlessIps(snapshot: MeshSnapshot, service: MeshService, view: ProxyView): string[] {
  const first = service.ports[0];
  const ips: string[] = [];
  for (const endpoint of (first && snapshot.endpoints.get(service.hostname)?.get(first.port)) ?? []) {
    const sameNetwork = view.network === '' || endpoint.network === '' || endpoint.network === view.network;
    if (endpoint.ready && sameNetwork) ips.push(endpoint.address);
  }
  return ips;
}

/**
 * NDS: hostname → IPs of every service the proxy may reach, including services that exist only
 * in other kube clusters (the point of DNS capture in multicluster: kube-dns does not know them);
 * the IPs as Istio's name table gives them (pkg/dns/server/name_table.go).
 * The agent itself answers the short forms (name, name.ns, …) from shortname and namespace. Pure.
 */
export function buildNameTable(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const table: Record<string, Record<string, unknown>> = {};
  // As Istio: gateways capture no DNS, their name table is empty.
  if (view.proxyType === 'router')
    return [{ name: NAME_TABLE_RESOURCE_NAME, typeUrl: NAME_TABLE_TYPE, object: { table } }];
  for (const service of snapshot.services.values()) {
    const ips = service.headless ? headlessIps(snapshot, service, view) : vipsFor(service, view);
    if (ips.length === 0) continue;
    // As Istio: a ServiceEntry host is of the External registry, with no short name or namespace.
    table[service.hostname] = service.serviceEntry
      ? { ips, registry: 'External' }
      : { ips, registry: 'Kubernetes', shortname: service.name, namespace: service.namespace };
  }
  return [{ name: NAME_TABLE_RESOURCE_NAME, typeUrl: NAME_TABLE_TYPE, object: { table } }];
}
