import { duration } from '../../protos/any.ts';
import type { Duration } from '../../protos/generated/google/protobuf/Duration.ts';
import type { UInt32Value } from '../../protos/generated/google/protobuf/UInt32Value.ts';

/**
 * Listener tuning Istio's pilot sets (pilot/pkg/networking/core/listener.go, listener_builder.go), with
 * its defaults:
 * - max_connections_to_accept_per_socket_event 1 (MAX_CONNECTIONS_PER_SOCKET_EVENT_LOOP) on listeners
 *   that bind a socket (virtualOutbound, virtualInbound, gateway listeners), so one busy listener does
 *   not starve the others of the event loop;
 * - transport_socket_connect_timeout 15 s (PILOT_GATEWAY_TRANSPORT_SOCKET_CONNECT_TIMEOUT) on every filter
 *   chain of sidecar outbound and gateway listeners, against slow TLS handshakes holding connections.
 */
export const MAX_CONNECTIONS_PER_SOCKET_EVENT: UInt32Value = { value: 1 };

export const TRANSPORT_SOCKET_CONNECT_TIMEOUT: Duration = duration(15_000);
