import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { buildGatewayListeners } from './gateway/gateway-listeners.ts';
import { buildIngressGatewayListeners } from './gateway/ingress.ts';
import { buildGatewayPassthroughListener } from './gateway/passthrough-listener.ts';
import { gatewaysForProxy } from './gateway/selected-gateways.ts';
import { buildGrpcListeners } from './grpc/client-listeners.ts';
import { buildGrpcServerListeners } from './grpc/server-listeners.ts';
import type { XdsResource } from './resource.ts';
import { buildSidecarInboundListener } from './sidecar/inbound-listener.ts';
import { buildSidecarOutboundListeners } from './sidecar/outbound-listeners.ts';

/**
 * LDS. gRPC: client api listeners `<fqdn>:<port>` and server listeners for its own ports.
 * Sidecars: virtualOutbound, per-service outbound listeners, virtualInbound. Routers: the listeners
 * of the Istio Gateways that select them; a router no Gateway selects gets the 15443 SNI passthrough
 * listener in ROUTER_MODE sni-dnat, nothing otherwise. Pure.
 */
export function buildListeners(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return [...buildSharedListeners(snapshot, view), ...buildWorkloadListeners(snapshot, view)];
}

/** The listeners every pod of a view shares. Pure. */
export function buildSharedListeners(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  if (view.generator === 'grpc') return buildGrpcListeners(snapshot);
  if (view.proxyType === 'router')
    return view.routerMode === 'sni-dnat' && gatewaysForProxy(snapshot, view).length === 0
      ? [buildGatewayPassthroughListener(snapshot, view)]
      : [];
  return buildSidecarOutboundListeners(snapshot, view);
}

/**
 * The listeners of the proxy's own workload: virtualInbound, a gRPC server's listeners, or a router's
 * Gateway listeners, AUTO_PASSTHROUGH and ingress servers (their ports follow the router's own Services:
 * Istio's port translation). Pure.
 */
export function buildWorkloadListeners(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  if (view.generator === 'grpc') return buildGrpcServerListeners(snapshot, view);
  if (view.proxyType === 'router')
    return [...buildGatewayListeners(snapshot, view), ...buildIngressGatewayListeners(snapshot, view)];
  return [buildSidecarInboundListener(snapshot, view)];
}
