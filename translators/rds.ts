import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { buildGrpcRoutes } from './grpc/client-listeners.ts';
import type { XdsResource } from './resource.ts';
import { buildSidecarRoutes } from './sidecar/routes.ts';

/** RDS. gRPC: one route configuration per api listener. Sidecars: one per HTTP port. Routers: none. Pure. */
export function buildRoutes(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  if (view.generator === 'grpc') return buildGrpcRoutes(snapshot, view);
  if (view.proxyType === 'router') return [];
  return buildSidecarRoutes(snapshot, view);
}
