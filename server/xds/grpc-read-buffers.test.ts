import { afterEach, describe, expect, it } from 'vitest';
import { Client, credentials, Server, type ServerDuplexStream } from '@grpc/grpc-js';
import { ADS_SERVICE, listenGrpc } from './xds-server.ts';
import { releaseReadBuffers } from './grpc-read-buffers.ts';

/** The decoder's fields as grpc-js 1.14 has them: what releaseReadBuffers relies on. */
interface Decoder {
  readCompressFlag: Buffer;
  readPartialMessage: Buffer[];
}

function decoderOf(call: ServerDuplexStream<Buffer, Buffer>): Decoder {
  return (call as unknown as { call: { decoder: Decoder } }).call.decoder;
}

/** Bytes of the chunks the decoder still references after a message. */
function retainedBytes(decoder: Decoder): number {
  return decoder.readCompressFlag.buffer.byteLength + decoder.readPartialMessage.reduce((n, b) => n + b.length, 0);
}

describe('releaseReadBuffers (grpc-js keeps the last request until the next one)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  async function exchange(release: boolean): Promise<{ before: number; after: number; released: boolean }> {
    const server = new Server();
    const seen = new Promise<{ before: number; after: number; released: boolean }>((resolve) => {
      server.addService(ADS_SERVICE, {
        StreamAggregatedResources: (call: ServerDuplexStream<Buffer, Buffer>) => {
          call.on('data', () => {
            // After the handler, as XdsConnection does; one turn later the decoder is between messages.
            setImmediate(() => {
              const decoder = decoderOf(call);
              const before = retainedBytes(decoder);
              const released = release ? releaseReadBuffers(call) : false;
              resolve({ before, after: retainedBytes(decoder), released });
            });
          });
        },
        DeltaAggregatedResources: (call: ServerDuplexStream<Buffer, Buffer>) => call.end(),
      });
    });
    const port = await listenGrpc(server, '127.0.0.1:0');
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    cleanups.push(() => {
      client.close();
      server.forceShutdown();
    });
    const stream = client.makeBidiStreamRequest(
      ADS_SERVICE.StreamAggregatedResources!.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    stream.on('error', () => undefined);
    // A request the size of an Envoy EDS ACK at 1,000 services.
    stream.write(Buffer.alloc(50_000, 1));
    const result = await seen;
    stream.cancel();
    return result;
  }

  it('grpc-js 1.14 keeps the request chunks after the message (the leak this works around)', async () => {
    const { before, after } = await exchange(false);
    expect(before).toBeGreaterThanOrEqual(50_000);
    expect(after).toBe(before);
  });

  it('lets them go once the decoder is between messages', async () => {
    const { released, after } = await exchange(true);
    expect(released).toBe(true);
    expect(after).toBeLessThanOrEqual(1);
  });
});
