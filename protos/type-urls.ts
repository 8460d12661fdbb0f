/** Type URLs of the resources meshpilot serves, as literal types. */
export const TYPE_PREFIX = 'type.googleapis.com/' as const;

export const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster' as const;
export const ENDPOINT_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment' as const;
export const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener' as const;
export const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration' as const;
export const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret' as const;
export const NAME_TABLE_TYPE = 'type.googleapis.com/istio.networking.nds.v1.NameTable' as const;

export type ClusterTypeUrl = typeof CLUSTER_TYPE;
export type EndpointTypeUrl = typeof ENDPOINT_TYPE;
export type ListenerTypeUrl = typeof LISTENER_TYPE;
export type RouteTypeUrl = typeof ROUTE_TYPE;
export type SecretTypeUrl = typeof SECRET_TYPE;
export type NameTableTypeUrl = typeof NAME_TABLE_TYPE;

export type XdsTypeUrl =
  ClusterTypeUrl | EndpointTypeUrl | ListenerTypeUrl | RouteTypeUrl | SecretTypeUrl | NameTableTypeUrl;

/** Push order, as istiod's: CDS, EDS, LDS, RDS, then the rest. */
export const PUSH_ORDER: readonly XdsTypeUrl[] = [
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  ROUTE_TYPE,
  SECRET_TYPE,
  NAME_TABLE_TYPE,
];

/**
 * Types for which a wildcard subscription is allowed: LDS and CDS (xDS protocol), and Istio's NDS,
 * whose agent asks for the one unnamed NameTable with an empty list.
 */
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([CLUSTER_TYPE, LISTENER_TYPE, NAME_TABLE_TYPE]);

/** Short names used in metrics, logs and the debug endpoints. */
export const SHORT_TYPE_NAMES: Readonly<Record<XdsTypeUrl, string>> = {
  [CLUSTER_TYPE]: 'cds',
  [ENDPOINT_TYPE]: 'eds',
  [LISTENER_TYPE]: 'lds',
  [ROUTE_TYPE]: 'rds',
  [SECRET_TYPE]: 'sds',
  [NAME_TABLE_TYPE]: 'nds',
};

const KNOWN_TYPE_URLS: ReadonlySet<string> = new Set(PUSH_ORDER);

/** A Set, not a property lookup: every request's type URL is a fresh string (a property lookup interns it). */
export function isKnownTypeUrl(typeUrl: string): typeUrl is XdsTypeUrl {
  return KNOWN_TYPE_URLS.has(typeUrl);
}

export function shortTypeName(typeUrl: string): string {
  return isKnownTypeUrl(typeUrl) ? SHORT_TYPE_NAMES[typeUrl] : 'unknown';
}

export function messageNameOf(typeUrl: string): string {
  return typeUrl.startsWith(TYPE_PREFIX) ? typeUrl.slice(TYPE_PREFIX.length) : typeUrl;
}
