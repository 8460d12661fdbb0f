import { afterEach, describe, expect, it } from 'vitest';
import { Client, credentials, Server, type ServerDuplexStream } from '@grpc/grpc-js';
import { ADS_SERVICE, listenGrpc } from './xds-server.ts';
import { enableFramedWrites, framedMessage, withPrefix } from './grpc-framed-writes.ts';

/** grpc-js 1.14's call behind a server stream: serializeMessage is what the patch changes. */
function serializeMessageOf(call: ServerDuplexStream<Buffer, Buffer>): (value: Buffer) => Buffer {
  const inner = (call as unknown as { call: { serializeMessage: (value: Buffer) => Buffer } }).call;
  return (value) => inner.serializeMessage(value);
}

describe('framed writes (grpc-js would copy every response to prefix it)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  it('writes the prefix before the message', () => {
    const message = framedMessage(3);
    message.set([7, 8, 9]);
    expect([...withPrefix(message)!]).toEqual([0, 0, 0, 0, 3, 7, 8, 9]);
    expect(withPrefix(Buffer.from([7, 8, 9]))).toBeUndefined();
    expect(withPrefix(message.subarray(1))).toBeUndefined();
  });

  /** Sends one framed and one plain message; the client's view and what serializeMessage made of each. */
  async function exchange(): Promise<{
    enabled: boolean;
    received: Buffer[];
    framedShared: boolean;
    plainCopied: boolean;
  }> {
    const server = new Server();
    const framed = framedMessage(40_000);
    framed.fill(5);
    const plain = Buffer.alloc(1_000, 6);
    const served = new Promise<{ enabled: boolean; framedShared: boolean; plainCopied: boolean }>((resolve) => {
      server.addService(ADS_SERVICE, {
        StreamAggregatedResources: (call: ServerDuplexStream<Buffer, Buffer>) => {
          const enabled = enableFramedWrites(call);
          const serialize = serializeMessageOf(call);
          const framedShared = serialize(framed).buffer === framed.buffer;
          const plainCopied = serialize(plain).buffer !== plain.buffer;
          call.write(framed);
          call.write(plain);
          resolve({ enabled, framedShared, plainCopied });
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
    const received: Buffer[] = [];
    const both = new Promise<void>((resolve) =>
      stream.on('data', (bytes: Buffer) => {
        received.push(bytes);
        if (received.length === 2) resolve();
      }),
    );
    stream.write(Buffer.from([1]));
    const result = await served;
    await both;
    stream.cancel();
    return { ...result, received };
  }

  it('grpc-js 1.14 sends a framed message without copying it, and other messages as before', async () => {
    const { enabled, received, framedShared, plainCopied } = await exchange();
    expect(enabled).toBe(true);
    expect(framedShared).toBe(true);
    expect(plainCopied).toBe(true);
    expect(received.map((bytes) => [bytes.length, bytes[0], bytes.at(-1)])).toEqual([
      [40_000, 5, 5],
      [1_000, 6, 6],
    ]);
  });
});
