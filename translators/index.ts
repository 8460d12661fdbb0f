import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, type XdsTypeUrl } from '../protos/type-urls.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { buildClusters } from './cds.ts';
import { buildEndpoints } from './eds.ts';
import { buildGrpcListeners, buildGrpcRoutes } from './grpc-listeners.ts';
import type { XdsResource } from './resource.ts';

export type Translator = (snapshot: MeshSnapshot, view: ProxyView) => XdsResource[];

/** The translator for each type URL a view can ask for. */
export function translatorFor(typeUrl: XdsTypeUrl): Translator | undefined {
  switch (typeUrl) {
    case CLUSTER_TYPE:
      return buildClusters;
    case ENDPOINT_TYPE:
      return buildEndpoints;
    case LISTENER_TYPE:
      return (snapshot, view) => (view.generator === 'grpc' ? buildGrpcListeners(snapshot) : []);
    case ROUTE_TYPE:
      return (snapshot, view) => (view.generator === 'grpc' ? buildGrpcRoutes(snapshot) : []);
    default:
      return undefined;
  }
}

export type { XdsResource };
