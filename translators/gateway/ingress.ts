import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import type { XdsResource } from '../resource.ts';
import { buildIngressListeners } from './ingress-listeners.ts';
import { mergeIngressServers } from './ingress-merge.ts';
import { buildIngressRoutes } from './ingress-routes.ts';
import { isAutoPassthrough, proxyServers } from './selected-gateways.ts';

/** Ports an AUTO_PASSTHROUGH server opens: gateway-listeners.ts builds those listeners. */
function autoPassthroughPorts(snapshot: MeshSnapshot, view: ProxyView): Set<number> {
  return new Set(
    proxyServers(snapshot, view)
      .filter(({ server }) => isAutoPassthrough(server))
      .map(({ listenerPort }) => listenerPort),
  );
}

/** LDS of a router's ingress Gateway servers (every server but AUTO_PASSTHROUGH). Pure. */
export function buildIngressGatewayListeners(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  if (view.proxyType !== 'router' || view.generator !== 'envoy') return [];
  const merged = mergeIngressServers(snapshot, view);
  if (merged.ports.length === 0) return [];
  return buildIngressListeners(snapshot, view, merged, autoPassthroughPorts(snapshot, view));
}

/** RDS of a router's ingress Gateway servers: `http.<port>` and `https.<port>.<name>.<gateway>.<namespace>`. Pure. */
export function buildIngressGatewayRoutes(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  if (view.proxyType !== 'router' || view.generator !== 'envoy') return [];
  const merged = mergeIngressServers(snapshot, view);
  if (merged.serversByRouteName.size === 0) return [];
  const skip = autoPassthroughPorts(snapshot, view);
  const routeNames = new Set(
    merged.ports.filter((p) => !skip.has(p.port)).flatMap((p) => [p.routeName, ...p.servers.map((s) => s.routeName)]),
  );
  return buildIngressRoutes(snapshot, view, {
    ...merged,
    serversByRouteName: new Map([...merged.serversByRouteName].filter(([name]) => routeNames.has(name))),
  });
}
