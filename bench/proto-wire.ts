/**
 * Just enough protobuf for the bench's lean ADS clients and baseline server: hand-written
 * readers and writers for the few discovery.proto fields they touch, so 10,000 streams cost
 * no full message decode. Field numbers from envoy/service/discovery/v3/discovery.proto,
 * envoy/config/core/v3/base.proto, envoy/config/cluster/v3/cluster.proto.
 */

export const CDS_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const EDS_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
/** envoy.config.cluster.v3.Cluster.DiscoveryType.EDS */
const DISCOVERY_TYPE_EDS = 3;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

export class WireError extends Error {
  readonly code = 'MESHPILOT_BENCH_ERR_WIRE';
}

/** Calls `visit(field, wireType, value)` for each top-level field; length-delimited values are subarrays. */
export function forEachField(
  bytes: Uint8Array,
  visit: (field: number, wireType: number, value: Uint8Array | number) => void,
): void {
  let offset = 0;
  const readVarint = (): number => {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i += 1) {
      if (offset >= bytes.length) throw new WireError('varint runs past the end of the message');
      const byte = bytes[offset++]!;
      if (shift < 49) result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    throw new WireError('varint longer than 10 bytes');
  };
  while (offset < bytes.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === WIRE_VARINT) visit(field, wireType, readVarint());
    else if (wireType === WIRE_LENGTH) {
      const length = readVarint();
      if (offset + length > bytes.length)
        throw new WireError(`field ${field} length ${length} runs past the end of the message`);
      visit(field, wireType, bytes.subarray(offset, offset + length));
      offset += length;
    } else if (wireType === WIRE_FIXED64) offset += 8;
    else if (wireType === WIRE_FIXED32) offset += 4;
    else throw new WireError(`unsupported wire type ${wireType} for field ${field}`);
  }
}

const textDecoder = new TextDecoder();
const asText = (value: Uint8Array | number): string => (typeof value === 'number' ? '' : textDecoder.decode(value));

/** One resource of a response: its name and where its Any lies in the response (what the client would hold). */
export interface ResponseResource {
  readonly name: string;
  /** Offsets of the resource's encoded Any within the response message. */
  readonly start: number;
  readonly end: number;
  /** Cluster only: true when the cluster's endpoints come from EDS (Envoy then subscribes to them). */
  readonly usesEds: boolean;
}

export interface ParsedResponse {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly resources: ResponseResource[];
}

/**
 * A closure-free cursor over one message: the hot path of 10,000 clients reading megabytes of
 * responses each, so no subarrays and no callbacks per field.
 */
class Cursor {
  offset: number;
  end: number;
  readonly bytes: Buffer;

  constructor(bytes: Buffer, offset: number, end: number) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i += 1) {
      if (this.offset >= this.end) throw new WireError('varint runs past the end of the message');
      const byte = this.bytes[this.offset++]!;
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new WireError('varint longer than 10 bytes');
  }

  /** Skips a field's value; returns the length of a length-delimited value, else -1. */
  skip(wireType: number, field: number): number {
    if (wireType === WIRE_VARINT) this.varint();
    else if (wireType === WIRE_LENGTH) {
      const length = this.varint();
      if (this.offset + length > this.end)
        throw new WireError(`field ${field} length ${length} runs past the end of the message`);
      this.offset += length;
      return length;
    } else if (wireType === WIRE_FIXED64) this.offset += 8;
    else if (wireType === WIRE_FIXED32) this.offset += 4;
    else throw new WireError(`unsupported wire type ${wireType} for field ${field}`);
    return -1;
  }

  text(length: number): string {
    const start = this.offset;
    this.offset += length;
    return this.bytes.toString('latin1', start, this.offset);
  }
}

/** Cluster.name and ClusterLoadAssignment.cluster_name are both field 1; Cluster.type is field 2. */
function describeResource(cursor: Cursor, anyStart: number, anyEnd: number, typeUrl: string): ResponseResource {
  let name = '';
  let usesEds = false;
  const isCluster = typeUrl === CDS_TYPE;
  const any = new Cursor(cursor.bytes, anyStart, anyEnd);
  while (any.offset < any.end) {
    const key = any.varint();
    const field = key >>> 3;
    const wireType = key & 7;
    if (field !== 2 || wireType !== WIRE_LENGTH) {
      any.skip(wireType, field);
      continue;
    }
    const length = any.varint();
    const value = new Cursor(cursor.bytes, any.offset, any.offset + length);
    any.offset += length;
    while (value.offset < value.end) {
      const innerKey = value.varint();
      const inner = innerKey >>> 3;
      const innerWire = innerKey & 7;
      if (inner === 1 && innerWire === WIRE_LENGTH) {
        name = value.text(value.varint());
        if (!isCluster) break;
      } else if (inner === 2 && innerWire === WIRE_VARINT) usesEds = value.varint() === DISCOVERY_TYPE_EDS;
      else value.skip(innerWire, inner);
    }
  }
  return { name, start: anyStart, end: anyEnd, usesEds };
}

/**
 * Calls `visit` for each length-delimited field of a top-level message (others are skipped), with
 * the cursor at the field's first byte; afterwards the cursor moves past the field whatever
 * `visit` read. Returns the cursor, for reading the message again.
 */
function forEachLengthDelimited(bytes: Buffer, visit: (field: number, at: Cursor, length: number) => void): Cursor {
  const cursor = new Cursor(bytes, 0, bytes.length);
  while (cursor.offset < cursor.end) {
    const key = cursor.varint();
    const field = key >>> 3;
    const wireType = key & 7;
    if (wireType !== WIRE_LENGTH) {
      cursor.skip(wireType, field);
      continue;
    }
    const length = cursor.varint();
    const end = cursor.offset + length;
    if (end > cursor.end) throw new WireError(`field ${field} length ${length} runs past the end of the message`);
    visit(field, cursor, length);
    cursor.offset = end;
  }
  return cursor;
}

export function parseDiscoveryResponse(bytes: Buffer): ParsedResponse {
  let versionInfo = '';
  let typeUrl = '';
  let nonce = '';
  const anys: number[] = [];
  const cursor = forEachLengthDelimited(bytes, (field, at, length) => {
    if (field === 1) versionInfo = at.text(length);
    else if (field === 4) typeUrl = at.text(length);
    else if (field === 5) nonce = at.text(length);
    else if (field === 2) anys.push(at.offset, at.offset + length);
  });
  const resources: ResponseResource[] = [];
  for (let i = 0; i < anys.length; i += 2) resources.push(describeResource(cursor, anys[i]!, anys[i + 1]!, typeUrl));
  return { versionInfo, typeUrl, nonce, resources };
}

/** The request fields a server needs to answer: the raw node (first request only), type, nonce, names count. */
export interface ParsedRequest {
  readonly node: Uint8Array | undefined;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly versionInfo: string;
  readonly resourceNames: number;
  readonly nack: boolean;
}

export function parseDiscoveryRequest(bytes: Buffer): ParsedRequest {
  let node: Uint8Array | undefined;
  let typeUrl = '';
  let nonce = '';
  let versionInfo = '';
  let resourceNames = 0;
  let nack = false;
  forEachLengthDelimited(bytes, (field, at, length) => {
    if (field === 1) versionInfo = at.text(length);
    else if (field === 4) typeUrl = at.text(length);
    else if (field === 5) nonce = at.text(length);
    else if (field === 2) node = bytes.subarray(at.offset, at.offset + length);
    else if (field === 3) resourceNames += 1;
    else if (field === 6) nack = true;
  });
  return { node, typeUrl, nonce, versionInfo, resourceNames, nack };
}

/** A growable protobuf writer for the few message shapes the bench sends. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  varint(value: number): this {
    const out: number[] = [];
    let rest = value;
    while (rest >= 0x80) {
      out.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    out.push(rest);
    return this.push(Uint8Array.from(out));
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, WIRE_LENGTH).varint(value.length).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** Appends bytes that are already a sequence of encoded fields. */
  raw(encodedFields: Uint8Array): this {
    return this.push(encodedFields);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

export interface NodeSpec {
  readonly id: string;
  /** String metadata (CLUSTER_ID, NETWORK, NAMESPACE, …) and LABELS as a nested struct. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: { readonly region: string; readonly zone: string };
}

/** google.protobuf.Struct: map<string, Value> fields = 1; Value.string_value = 3, struct_value = 5. */
function encodeStruct(entries: Readonly<Record<string, string | Readonly<Record<string, string>>>>): Buffer {
  const struct = new ProtoWriter();
  for (const [key, value] of Object.entries(entries)) {
    const encodedValue =
      typeof value === 'string'
        ? new ProtoWriter().string(3, value).finish()
        : new ProtoWriter().bytes(5, encodeStruct(value)).finish();
    struct.bytes(1, new ProtoWriter().string(1, key).bytes(2, encodedValue).finish());
  }
  return struct.finish();
}

/** envoy.config.core.v3.Node: id = 1, metadata = 3, locality = 4 {region = 1, zone = 2}, user_agent_name = 6. */
export function encodeNode(node: NodeSpec): Buffer {
  const locality = new ProtoWriter().string(1, node.locality.region).string(2, node.locality.zone).finish();
  return new ProtoWriter()
    .string(1, node.id)
    .bytes(3, encodeStruct({ ...node.metadata, LABELS: node.labels }))
    .bytes(4, locality)
    .string(6, 'envoy')
    .finish();
}

/** The view-relevant parts of a node, read back without a full decode (the baseline keys replies on them). */
export function readNodeView(node: Uint8Array): { network: string; region: string; zone: string } {
  let network = '';
  let region = '';
  let zone = '';
  forEachField(node, (field, _wire, value) => {
    if (typeof value === 'number') return;
    if (field === 3) {
      forEachField(value, (_f, _w, entry) => {
        if (typeof entry === 'number') return;
        let key = '';
        let text = '';
        forEachField(entry, (entryField, _ew, entryValue) => {
          if (entryField === 1) key = asText(entryValue);
          else if (entryField === 2 && typeof entryValue !== 'number')
            forEachField(entryValue, (vf, _vw, v) => (vf === 3 ? (text = asText(v)) : undefined));
        });
        if (key === 'NETWORK') network = text;
      });
    } else if (field === 4) {
      forEachField(value, (lf, _lw, v) => {
        if (lf === 1) region = asText(v);
        else if (lf === 2) zone = asText(v);
      });
    }
  });
  return { network, region, zone };
}

/** Encoded `resource_names` fields (3) for a subscription: built once, shared by every request that repeats it. */
export function encodeResourceNames(names: readonly string[]): Buffer {
  const writer = new ProtoWriter();
  for (const name of names) writer.string(3, name);
  return writer.finish();
}

/** DiscoveryRequest with pre-encoded resource names (and node, on the first request of a stream). */
export function encodeDiscoveryRequest(request: {
  typeUrl: string;
  versionInfo: string;
  nonce: string;
  resourceNames: Uint8Array;
  node?: Uint8Array;
}): Buffer {
  const writer = new ProtoWriter();
  if (request.versionInfo !== '') writer.string(1, request.versionInfo);
  if (request.node) writer.bytes(2, request.node);
  writer.raw(request.resourceNames).string(4, request.typeUrl);
  if (request.nonce !== '') writer.string(5, request.nonce);
  return writer.finish();
}

/** DiscoveryResponse around Any bytes that are already encoded (the baseline's change pushes). */
export function encodeDiscoveryResponse(response: {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: readonly Uint8Array[];
}): Buffer {
  const writer = new ProtoWriter().string(1, response.versionInfo);
  for (const any of response.resources) writer.bytes(2, any);
  return writer.string(4, response.typeUrl).string(5, response.nonce).finish();
}

/** The gRPC length-prefixed message frame: 1 byte "compressed" flag (0), 4 bytes big-endian length. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(message.length + 5);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** Reassembles gRPC messages from HTTP/2 DATA chunks. */
export class GrpcFrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxMessageBytes: number;

  constructor(maxMessageBytes = 256 * 1024 * 1024) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Feeds one chunk; returns the messages it completed, in order. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    for (let guard = 0; guard < 100_000 && this.buffered >= 5; guard += 1) {
      const head = this.chunks[0]!.length >= 5 ? this.chunks[0]! : this.flatten();
      if (head[0] !== 0) throw new WireError('compressed gRPC messages are not supported by the bench client');
      const length = head.readUInt32BE(1);
      if (length > this.maxMessageBytes)
        throw new WireError(`gRPC message of ${length} bytes exceeds the bench limit ${this.maxMessageBytes}`);
      if (this.buffered < length + 5) break;
      const all = this.flatten();
      messages.push(all.subarray(5, 5 + length));
      const rest = all.subarray(5 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return messages;
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }

  pendingBytes(): number {
    return this.buffered;
  }
}
