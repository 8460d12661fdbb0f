import type { ServerDuplexStream } from '@grpc/grpc-js';

/**
 * A response is built once per stream (a few hundred KB in a full push), then @grpc/grpc-js 1.14
 * copies it again to put the 5-byte gRPC message prefix in front (`serializeMessage` in
 * build/src/server-interceptors.js): two allocations and two copies of every byte pushed.
 *
 * framedMessage() allocates a message with room for that prefix before it and writes the prefix;
 * for such a message, grpc-js's serializeMessage hands the framed bytes to HTTP/2 as they are. That
 * method is not part of grpc-js's public API: the patch checks the shape it expects and otherwise
 * does nothing, and a message grpc-js frames itself is the same bytes, so a grpc-js that changes
 * costs one copy, never correctness.
 */

const PREFIX = 5;

/** Messages whose 5 bytes before them hold their gRPC prefix (uncompressed, length). */
const framed = new WeakSet<Uint8Array>();

/** A message of `length` bytes (to fill) with its gRPC prefix already written before it. */
export function framedMessage(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(PREFIX + length);
  bytes[0] = 0;
  bytes.writeUInt32BE(length, 1);
  const message = bytes.subarray(PREFIX);
  framed.add(message);
  return message;
}

/** The message with its prefix (no copy), when framedMessage() made it. */
export function withPrefix(message: unknown): Buffer | undefined {
  if (!(message instanceof Uint8Array) || !framed.has(message)) return undefined;
  return Buffer.from(message.buffer, message.byteOffset - PREFIX, message.byteLength + PREFIX);
}

type Serialize = (this: unknown, value: unknown) => Buffer;
const patched = new WeakSet<object>();

/**
 * Makes the grpc-js call behind `call` write framed messages without copying them (patching its
 * class once). True when its serializeMessage takes them as they are.
 */
export function enableFramedWrites(call: ServerDuplexStream<Buffer, Buffer>): boolean {
  const inner: unknown = (call as unknown as { call?: unknown }).call;
  if (typeof inner !== 'object' || inner === null) return false;
  const proto: unknown = Object.getPrototypeOf(inner);
  if (typeof proto !== 'object' || proto === null) return false;
  if (patched.has(proto)) return true;
  const original: unknown = (proto as { serializeMessage?: unknown }).serializeMessage;
  // sendMessage(message, callback) → serializeMessage(message) → stream.write(framed bytes).
  if (typeof original !== 'function' || original.length !== 1 || !('sendMessage' in proto)) return false;
  const serialize = original as Serialize;
  (proto as unknown as { serializeMessage: Serialize }).serializeMessage = function serializeMessage(value) {
    return withPrefix(value) ?? serialize.call(this, value);
  };
  patched.add(proto);
  return true;
}
