import type { ProtoObject } from '../protos/any.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, type XdsTypeUrl } from '../protos/type-urls.ts';
import type { Listener } from '../protos/generated/envoy/config/listener/v3/Listener.ts';
import type { RouteConfiguration } from '../protos/generated/envoy/config/route/v3/RouteConfiguration.ts';
import type { VirtualHost } from '../protos/generated/envoy/config/route/v3/VirtualHost.ts';
import type { Cluster } from '../protos/generated/envoy/config/cluster/v3/Cluster.ts';
import type { ClusterLoadAssignment } from '../protos/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.ts';
import type { LbEndpoint } from '../protos/generated/envoy/config/endpoint/v3/LbEndpoint.ts';
import type { Filter } from '../protos/generated/envoy/config/listener/v3/Filter.ts';
import type { FilterChain } from '../protos/generated/envoy/config/listener/v3/FilterChain.ts';
import type { FilterChainMatch } from '../protos/generated/envoy/config/listener/v3/FilterChainMatch.ts';
import type { ListenerFilter } from '../protos/generated/envoy/config/listener/v3/ListenerFilter.ts';
import type { HttpFilter } from '../protos/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.ts';
import type { HttpConnectionManager } from '../protos/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.ts';
import type { TransportSocket } from '../protos/generated/envoy/config/core/v3/TransportSocket.ts';
import type { Address } from '../protos/generated/envoy/config/core/v3/Address.ts';

/** A generated xDS resource before encoding. */
export interface XdsResource {
  readonly name: string;
  readonly typeUrl: XdsTypeUrl;
  readonly object: ProtoObject;
}

export const ADS_CONFIG_SOURCE = { ads: {}, resource_api_version: 'V3' } as const;

/**
 * Envoy messages as generated from the data-plane-api protos (npm run protos:types): a builder typed
 * with one of these cannot misspell a field (`conect_timeout` is a type error, not a dropped key).
 */
export type { Cluster, ClusterLoadAssignment, LbEndpoint, Listener, RouteConfiguration, VirtualHost };
/** The parts of a Listener its helpers build: chains, network / listener / HTTP filters, sockets, addresses. */
export type {
  Address,
  Filter,
  FilterChain,
  FilterChainMatch,
  HttpConnectionManager,
  HttpFilter,
  ListenerFilter,
  TransportSocket,
};

/** An EDS resource from a typed ClusterLoadAssignment message. */
export function endpointResource(name: string, assignment: ClusterLoadAssignment): XdsResource {
  return { name, typeUrl: ENDPOINT_TYPE, object: assignment as ProtoObject };
}

/** An RDS resource from a typed RouteConfiguration message. */
export function routeResource(name: string, routes: RouteConfiguration): XdsResource {
  return { name, typeUrl: ROUTE_TYPE, object: routes as ProtoObject };
}

/** An LDS resource from a typed Listener message. */
export function listenerResource(name: string, listener: Listener): XdsResource {
  return { name, typeUrl: LISTENER_TYPE, object: listener as ProtoObject };
}

/** A CDS resource from a typed Cluster message. */
export function clusterResource(name: string, cluster: Cluster): XdsResource {
  return { name, typeUrl: CLUSTER_TYPE, object: cluster as ProtoObject };
}
