import { duration, type TypedObject } from '../../protos/any.ts';
import type { HttpProtocolOptions as CommonHttpProtocolOptions } from '../../protos/generated/envoy/config/core/v3/HttpProtocolOptions.ts';
import type { UpstreamHttpProtocolOptions } from '../../protos/generated/envoy/config/core/v3/UpstreamHttpProtocolOptions.ts';
import { typedConfig } from '../common/typed-config.ts';
import type { CircuitBreakers } from '../../protos/generated/envoy/config/cluster/v3/CircuitBreakers.ts';
import type { Duration } from '../../protos/generated/google/protobuf/Duration.ts';
import type { ConnectionPoolSettings } from '../../model/istio/types.ts';
import { isLoadedProtoType } from '../common/proto-types.ts';

const UNLIMITED = 4_294_967_295;
export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions' as const;

/** circuit_breakers: Istio's unlimited defaults (no track_remaining, as Istio), with the pool's limits where set. */
export function circuitBreakers(pool: ConnectionPoolSettings | undefined): CircuitBreakers {
  return {
    thresholds: [
      {
        max_connections: { value: pool?.tcp?.maxConnections ?? UNLIMITED },
        max_pending_requests: { value: pool?.http?.http1MaxPendingRequests ?? UNLIMITED },
        max_requests: { value: pool?.http?.http2MaxRequests ?? UNLIMITED },
        max_retries: { value: pool?.http?.maxRetries ?? UNLIMITED },
      },
    ],
  };
}

/**
 * `typed_extension_protocol_options` HttpProtocolOptions: HTTP/2 upstream for h2 ports (as
 * Istio), common options from the pool (maxRequestsPerConnection — the seed's mitigation for L4
 * imbalance through east-west gateways —, idleTimeout, tcp.maxConnectionDuration), h2
 * maxConcurrentStreams, and `upstream` (auto_sni / auto_san_validation of a SIMPLE or MUTUAL DestinationRule,
 * see envoy-tls.ts). Undefined when nothing is set or the proto is not loaded.
 */
export function httpProtocolOptions(
  pool: ConnectionPoolSettings | undefined,
  http2: boolean,
  upstream?: UpstreamHttpProtocolOptions,
): Record<string, TypedObject> | undefined {
  if (!isLoadedProtoType(HTTP_PROTOCOL_OPTIONS)) return undefined;
  const common: CommonHttpProtocolOptions = {
    ...(pool?.http?.idleTimeout !== undefined ? { idle_timeout: duration(pool.http.idleTimeout) } : {}),
    ...(pool?.http?.maxRequestsPerConnection
      ? { max_requests_per_connection: { value: pool.http.maxRequestsPerConnection } }
      : {}),
    ...(pool?.tcp?.maxConnectionDuration !== undefined
      ? { max_connection_duration: duration(pool.tcp.maxConnectionDuration) }
      : {}),
  };
  const hasCommon = Object.keys(common).length > 0;
  if (!http2 && !hasCommon && !upstream) return undefined;
  const streams = pool?.http?.maxConcurrentStreams;
  const explicit = http2
    ? { http2_protocol_options: streams ? { max_concurrent_streams: { value: streams } } : {} }
    : { http_protocol_options: {} };
  return {
    [HTTP_PROTOCOL_OPTIONS]: typedConfig(HTTP_PROTOCOL_OPTIONS, {
      ...(hasCommon ? { common_http_protocol_options: common } : {}),
      ...(upstream ? { upstream_http_protocol_options: upstream } : {}),
      explicit_http_config: explicit,
    }),
  };
}

export function connectTimeout(pool: ConnectionPoolSettings | undefined): Duration | undefined {
  return pool?.tcp?.connectTimeout !== undefined ? duration(pool.tcp.connectTimeout) : undefined;
}
