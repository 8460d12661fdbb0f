import { duration, type TypedObject } from '../../protos/any.ts';
import { typedConfig } from './typed-config.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import { isLoadedProtoType } from './proto-types.ts';
import { ADS_CONFIG_SOURCE, type Cluster } from '../resource.ts';
import type { Metadata } from '../../protos/generated/envoy/config/core/v3/Metadata.ts';
import type { CircuitBreakers } from '../../protos/generated/envoy/config/cluster/v3/CircuitBreakers.ts';
import { filterMetadata } from './struct.ts';

/** Field sets every Envoy cluster of Istio's shape shares. */

export const CONNECT_TIMEOUT_MS = 10_000;
const UNLIMITED = 4_294_967_295;

/**
 * Istio's default circuit breakers: effectively unlimited. No track_remaining: Istio leaves the
 * remaining-capacity gauges off (DISABLE_TRACK_REMAINING_CB_METRICS defaults to true).
 */
export const DEFAULT_CIRCUIT_BREAKERS: CircuitBreakers = {
  thresholds: [
    {
      max_connections: { value: UNLIMITED },
      max_pending_requests: { value: UNLIMITED },
      max_requests: { value: UNLIMITED },
      max_retries: { value: UNLIMITED },
    },
  ],
};

/**
 * Istio's alt_stat_name: the stat prefix followed by ';' (util.DelimitedStatsPrefix), which Istio's
 * stats tag extractors split on. The prefix is the cluster's name, except where Istio names it otherwise
 * (InboundPassthroughCluster's stats go under PassthroughCluster).
 */
export function altStatName(statPrefix: string): string {
  return `${statPrefix};`;
}

/** An EDS cluster over ADS whose ClusterLoadAssignment has the cluster's own name. */
export function edsCluster(name: string, connectTimeoutMs = CONNECT_TIMEOUT_MS): Cluster {
  return {
    name,
    type: 'EDS',
    alt_stat_name: altStatName(name),
    eds_cluster_config: { eds_config: { ...ADS_CONFIG_SOURCE, initial_fetch_timeout: {} }, service_name: name },
    connect_timeout: duration(connectTimeoutMs),
  };
}

/**
 * `metadata.filter_metadata.istio.services`: what istioctl and telemetry read to name a cluster's services;
 * with `config`, the path of the config object that shaped the cluster (see destinationRulePath).
 */
export function istioServicesMetadata(services: readonly MeshService[], config?: string): Metadata {
  return filterMetadata({
    istio: {
      ...(config !== undefined ? { config } : {}),
      services: services.map((s) => ({ host: s.hostname, name: s.name, namespace: s.namespace })),
    },
  });
}

/** Istio's `istio.config` metadata value: the config object's path (util.AddConfigInfoMetadata). */
export function destinationRulePath(rule: {
  readonly meta: { readonly namespace: string; readonly name: string };
}): string {
  return `/apis/networking.istio.io/v1/namespaces/${rule.meta.namespace}/destination-rule/${rule.meta.name}`;
}

/**
 * As istioServicesMetadata, plus `config`: the DestinationRule that shaped the cluster, in Istio's path
 * form, and for a subset cluster `subset` (its name), as Istio's buildSubsetCluster adds them; `tlsMode`: the
 * cluster's DestinationRule TLS mode (SIMPLE / MUTUAL add `alpn_override: "false"`).
 */
export function istioClusterMetadata(
  service: MeshService,
  rule: { readonly meta: { readonly namespace: string; readonly name: string } } | undefined,
  subset?: string,
  tlsMode?: string,
): Metadata {
  const services = [{ host: service.hostname, name: service.name, namespace: service.namespace }];
  // A MESH_EXTERNAL ServiceEntry host is marked external, as Istio does.
  const external: { external?: boolean } = service.serviceEntry?.location === 'MESH_EXTERNAL' ? { external: true } : {};
  if (!rule) return filterMetadata({ istio: { ...external, services } });
  return filterMetadata({
    istio: {
      config: destinationRulePath(rule),
      // Istio's AddALPNOverrideToMetadata: TLS origination to a non-mesh server keeps the client's ALPN.
      ...(tlsMode === 'SIMPLE' || tlsMode === 'MUTUAL' ? { alpn_override: 'false' } : {}),
      ...external,
      services,
      ...(subset ? { subset } : {}),
    },
  });
}

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions' as const;

/**
 * HTTP/2 to the upstream (gRPC, h2c ports), as Istio sets it. Undefined while the
 * HttpProtocolOptions proto is not loaded (protos/load.ts), rather than an empty Any.
 */
export function http2ProtocolOptions(): Record<string, TypedObject> | undefined {
  if (!isLoadedProtoType(HTTP_PROTOCOL_OPTIONS)) return undefined;
  return {
    [HTTP_PROTOCOL_OPTIONS]: typedConfig(HTTP_PROTOCOL_OPTIONS, {
      explicit_http_config: { http2_protocol_options: {} },
    }),
  };
}

/** meshpilot.yaml `mesh.connectTimeout` (Istio's MeshConfig.connectTimeout, default 10 s): every cluster's connect timeout unless a DestinationRule sets one. */
export function meshConnectTimeoutMs(snapshot: Pick<MeshSnapshot, 'meshConfig'>): number {
  return snapshot.meshConfig?.connectTimeout ?? CONNECT_TIMEOUT_MS;
}
