import type { ServerDuplexStream } from '@grpc/grpc-js';

/**
 * @grpc/grpc-js 1.14's StreamDecoder (build/src/stream-decoder.js) keeps, after a message, a
 * one-byte slice of the chunk the message started in (`readCompressFlag`) and the chunks of its
 * body (`readPartialMessage`) until the next message starts. A slice keeps its whole chunk alive,
 * so every idle ADS stream held the bytes of its last request: an Envoy EDS ACK repeats every
 * subscribed name (about 50 KB at 1,000 services), the largest part of an idle stream's memory.
 *
 * Once the decoder is between messages (its NO_DATA state, in which the next message replaces
 * both fields before reading them), the two are set to empty values. The decoder is not part of
 * grpc-js's public API: every step checks the shape it expects and otherwise does nothing, so a
 * grpc-js that changes it costs memory, never correctness.
 */

const NO_DATA = 0;

interface DecoderShape {
  readState: unknown;
  readCompressFlag: unknown;
  readPartialMessage: unknown;
}

function decoderOf(call: ServerDuplexStream<Buffer, Buffer>): DecoderShape | undefined {
  const inner: unknown = (call as unknown as { call?: unknown }).call;
  if (typeof inner !== 'object' || inner === null || !('decoder' in inner)) return undefined;
  const decoder: unknown = inner.decoder;
  if (
    typeof decoder !== 'object' ||
    decoder === null ||
    !('readState' in decoder) ||
    !('readCompressFlag' in decoder) ||
    !('readPartialMessage' in decoder)
  )
    return undefined;
  return decoder as DecoderShape;
}

/** Lets the chunks of the call's last request go, if its decoder is between messages. True when it did. */
export function releaseReadBuffers(call: ServerDuplexStream<Buffer, Buffer>): boolean {
  const decoder = decoderOf(call);
  if (decoder === undefined || decoder.readState !== NO_DATA) return false;
  const flag = decoder.readCompressFlag;
  const partial = decoder.readPartialMessage;
  if (!Buffer.isBuffer(flag) || !Array.isArray(partial)) return false;
  // A one-byte buffer of its own (not a slice of a chunk), as the decoder's constructor makes.
  if (flag.buffer.byteLength > 1) decoder.readCompressFlag = Buffer.alloc(1);
  if (partial.length > 0) decoder.readPartialMessage = [];
  return true;
}
