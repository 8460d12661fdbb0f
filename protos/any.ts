import { lookupMessage } from './load.ts';
import { messageNameOf, TYPE_PREFIX } from './type-urls.ts';

/** A plain object in proto field naming (snake_case, as in the .proto files). */
export type ProtoObject = Record<string, unknown>;

/** An Any already encoded: its type URL and the bytes of the packed message. */
export interface EncodedAny {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

export class ProtoEncodeError extends Error {
  readonly code = 'MESHPILOT_ERR_PROTO_ENCODE';
  constructor(typeUrl: string, reason: string) {
    super(`cannot encode ${typeUrl}: ${reason}`);
  }
}

/** Encodes a plain object as the message named by the type URL. Nested Any fields use `{'@type': url, ...}`. */
export function encodeMessage(typeUrl: string, object: ProtoObject): Uint8Array {
  const type = lookupMessage(messageNameOf(typeUrl));
  let message: ReturnType<typeof type.fromObject>;
  try {
    message = type.fromObject(object);
  } catch (error: unknown) {
    throw new ProtoEncodeError(typeUrl, error instanceof Error ? error.message : String(error));
  }
  const invalid = type.verify(message);
  if (invalid) throw new ProtoEncodeError(typeUrl, invalid);
  return type.encode(message).finish();
}

export function packAny(typeUrl: string, object: ProtoObject): EncodedAny {
  return { typeUrl, value: encodeMessage(typeUrl, object) };
}

/** Decodes bytes to a plain object with enums as names, 64-bit numbers as strings, Any as `{'@type'}`. */
export function decodeMessage(typeUrl: string, bytes: Uint8Array): ProtoObject {
  const type = lookupMessage(messageNameOf(typeUrl));
  return type.toObject(type.decode(bytes), {
    enums: String,
    longs: String,
    bytes: String,
    defaults: false,
    json: true,
  }) as ProtoObject;
}

export function unpackAny(any: EncodedAny): ProtoObject {
  return decodeMessage(any.typeUrl, any.value);
}

/** `{'@type': url, ...fields}`: the form protobufjs accepts for a nested Any. */
/** A message packed in a google.protobuf.Any, in the `{'@type': url, ...fields}` form protobufjs encodes. */
export type TypedObject = ProtoObject & { readonly '@type': string };

export function typed(typeUrl: string, fields: ProtoObject): TypedObject {
  const url = typeUrl.startsWith(TYPE_PREFIX) ? typeUrl : `${TYPE_PREFIX}${typeUrl}`;
  return { '@type': url, ...fields };
}

/** google.protobuf.Duration from milliseconds. */
export function duration(ms: number): { seconds?: number; nanos?: number } {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  // protobufjs writes explicitly set zero fields, so leave them out to keep the encoding canonical.
  return { ...(seconds !== 0 && { seconds }), ...(nanos !== 0 && { nanos }) };
}
