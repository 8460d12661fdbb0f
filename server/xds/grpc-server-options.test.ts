import { connect, type ClientHttp2Session } from 'node:http2';
import { Server, ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { XDS_GRPC_SERVER_OPTIONS } from './grpc-server-options.ts';
import { listenGrpc } from './xds-server.ts';

const identity = (bytes: Buffer): Buffer => bytes;
/** A bidi method that keeps its stream open, as an ADS stream does. */
const OPEN_STREAM = {
  Open: {
    path: '/test.Stream/Open',
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** Whether a client's HTTP/2 connection, with one open stream, is closed within `ms` after forceShutdown(). */
async function closedByForceShutdown(options: ChannelOptions, ms: number): Promise<boolean> {
  const server = new Server(options);
  let opened: () => void = () => undefined;
  const streamOpen = new Promise<void>((resolve) => (opened = resolve));
  server.addService(OPEN_STREAM, { Open: () => opened() });
  const port = await listenGrpc(server, '127.0.0.1:0', ServerCredentials.createInsecure());
  const client: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
  try {
    const stream = client.request({
      ':method': 'POST',
      ':path': '/test.Stream/Open',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => undefined);
    stream.write(Buffer.from([0, 0, 0, 0, 0]));
    await streamOpen;
    const closed = new Promise<boolean>((resolve) => {
      // Destroyed by the server: the session errs (NGHTTP2_CANCEL) and closes.
      client.once('error', () => resolve(true));
      client.once('close', () => resolve(true));
      setTimeout(() => resolve(false), ms).unref();
    });
    server.forceShutdown();
    return await closed;
  } finally {
    client.destroy();
    server.forceShutdown();
  }
}

describe('grpc-js options of the ADS servers', () => {
  it('a stopped ADS server closes its clients’ connections, so they reconnect to the next one', async () => {
    expect(await closedByForceShutdown(XDS_GRPC_SERVER_OPTIONS, 2_000)).toBe(true);
  });

  it('(why channelz stays on) with it off, grpc-js 1.14 leaves the connection open after forceShutdown', async () => {
    expect(await closedByForceShutdown({ ...XDS_GRPC_SERVER_OPTIONS, 'grpc.enable_channelz': 0 }, 1_000)).toBe(false);
  });
});
