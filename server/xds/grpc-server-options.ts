import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * grpc-js options of every server that serves ADS (plaintext and TLS listeners).
 *
 * Channelz stays on (grpc-js's default) although meshpilot serves no channelz service and it costs about
 * 1 KiB of heap per idle xDS stream: grpc-js 1.14's forceShutdown() destroys only the HTTP/2 sessions it
 * tracks for channelz, so with channelz off a stopped server leaves its clients connected to a server that
 * no longer answers, and they never reconnect to the one that replaces it (e2e/continuity.test.ts (c)).
 */
export const XDS_GRPC_SERVER_OPTIONS: ChannelOptions = {
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
};
