import type { ChannelOptions } from '@grpc/grpc-js';

/** HTTP/2 keepalive of the ADS ports: a peer that answers no ping within the timeout is closed. */
export interface KeepaliveSettings {
  /** Ping a connection after this long (istiod: 30 s); 0 = no keepalive. */
  readonly keepaliveTimeMs: number;
  /** Close it when the ping is not answered within this (istiod: 10 s). */
  readonly keepaliveTimeoutMs: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveSettings = { keepaliveTimeMs: 30_000, keepaliveTimeoutMs: 10_000 };

/** grpc-js server options for the settings (as istiod's keepalive.ServerParameters). */
export function keepaliveServerOptions(settings: KeepaliveSettings): ChannelOptions {
  if (settings.keepaliveTimeMs <= 0) return {};
  return {
    'grpc.keepalive_time_ms': settings.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': settings.keepaliveTimeoutMs,
  };
}
