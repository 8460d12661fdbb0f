import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { buildIngressGatewayRoutes } from './gateway/ingress.ts';
import { buildGrpcRoutes } from './grpc/client-listeners.ts';
import type { XdsResource } from './resource.ts';
import { buildSidecarRoutes } from './sidecar/routes.ts';

/** RDS. gRPC: one route configuration per api listener. Sidecars: one per HTTP port. Routers: their Gateways'. Pure. */
export function buildRoutes(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return [...buildSharedRoutes(snapshot, view), ...buildWorkloadRoutes(snapshot, view)];
}

/** The route configurations every pod of a view shares (none for routers). Pure. */
export function buildSharedRoutes(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  if (view.generator === 'grpc') return buildGrpcRoutes(snapshot, view);
  if (view.proxyType === 'router') return [];
  return buildSidecarRoutes(snapshot, view);
}

/**
 * A router's Gateway route configurations: their names follow the ports it listens on, which come from its
 * own Services (Istio's port translation), so they depend on the workload. Pure.
 */
export function buildWorkloadRoutes(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return buildIngressGatewayRoutes(snapshot, view);
}
