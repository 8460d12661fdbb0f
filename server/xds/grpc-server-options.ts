import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * grpc-js options of every server that serves ADS (plaintext and TLS listeners).
 *
 * Channelz is off: with it on (grpc-js's default) every connection and every call is tracked for the
 * channelz service (a registry entry, a call tracker and message counters per session, four closures
 * per call), about 1 KiB of heap per idle xDS stream, for a service meshpilot does not serve.
 */
export const XDS_GRPC_SERVER_OPTIONS: ChannelOptions = {
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  'grpc.enable_channelz': 0,
};
