import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import type { XdsResource } from '../resource.ts';
import { buildGatewayPassthroughListener } from './passthrough-listener.ts';
import { isAutoPassthrough, proxyServers, serverDnsNames } from './selected-gateways.ts';

/**
 * The listeners a router's Gateways open, one per listener port: AUTO_PASSTHROUGH servers give the SNI
 * passthrough listener for the services their hosts cover (servers of several Gateways on one port are
 * merged, as Istio merges them). Other servers build nothing yet (validate and /debug/configz say so). Pure.
 */
export function buildGatewayListeners(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const hostsByPort = new Map<number, Set<string>>();
  for (const { server, listenerPort } of proxyServers(snapshot, view)) {
    if (!isAutoPassthrough(server)) continue;
    const hosts = hostsByPort.get(listenerPort) ?? new Set<string>();
    for (const host of serverDnsNames(server)) hosts.add(host);
    hostsByPort.set(listenerPort, hosts);
  }
  return [...hostsByPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, hosts]) => buildGatewayPassthroughListener(snapshot, view, port, [...hosts].sort()));
}
