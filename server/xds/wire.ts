import { createHash, hash } from 'node:crypto';
import protobuf from 'protobufjs';
import { lookupMessage } from '../../protos/load.ts';
import { encodeResourcesField, type EncodedResource } from './encoded-resource.ts';
import { framedMessage } from './grpc-framed-writes.ts';

/**
 * DiscoveryResponse / DeltaDiscoveryResponse written by hand around the cached Any bytes, so a
 * push copies each resource's encoding instead of re-encoding the message per stream.
 * Field numbers from envoy/service/discovery/v3/discovery.proto.
 */

export interface ControlPlaneId {
  readonly identifier: string;
}

function writeControlPlane(writer: protobuf.Writer, field: number, controlPlane: ControlPlaneId): void {
  writer
    .uint32((field << 3) | 2)
    .fork()
    .uint32(10)
    .string(controlPlane.identifier)
    .ldelim();
}

/** protobufjs's Writer yields a Buffer in Node: use it as is instead of copying it again. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A DiscoveryResponse around already-encoded resources. `resourcesField` (from
 * encodeResourcesField) lets many streams sending one shared set reuse its bytes: each response
 * is then one copy of them between a small head and tail, with its gRPC prefix before it
 * (grpc-framed-writes.ts).
 */
export function encodeDiscoveryResponse(response: {
  versionInfo: string;
  resources: readonly EncodedResource[];
  resourcesField?: Buffer;
  typeUrl: string;
  nonce: string;
  controlPlane: ControlPlaneId;
}): Buffer {
  const head = protobuf.Writer.create().uint32(10).string(response.versionInfo).finish();
  const tailWriter = protobuf.Writer.create().uint32(34).string(response.typeUrl).uint32(42).string(response.nonce);
  writeControlPlane(tailWriter, 6, response.controlPlane);
  const tail = tailWriter.finish();
  const resources = response.resourcesField ?? encodeResourcesField(response.resources);
  // Framed for gRPC as it is built: grpc-js then writes these bytes without copying them again.
  const message = framedMessage(head.length + resources.length + tail.length);
  message.set(head, 0);
  message.set(resources, head.length);
  message.set(tail, head.length + resources.length);
  return message;
}

export function encodeDeltaDiscoveryResponse(response: {
  systemVersionInfo: string;
  resources: readonly EncodedResource[];
  typeUrl: string;
  removedResources: readonly string[];
  nonce: string;
  controlPlane: ControlPlaneId;
}): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32(10).string(response.systemVersionInfo);
  for (const resource of response.resources) {
    // Resource { version = 1; resource = 2 (Any); name = 3 }
    writer.uint32(18).fork();
    writer.uint32(10).string(resource.version);
    writer.uint32(18).bytes(resource.anyBytes);
    writer.uint32(26).string(resource.name);
    writer.ldelim();
  }
  writer.uint32(34).string(response.typeUrl);
  writer.uint32(42).string(response.nonce);
  for (const name of response.removedResources) writer.uint32(50).string(name);
  writeControlPlane(writer, 7, response.controlPlane);
  return asBuffer(writer.finish());
}

export interface NodeMessage {
  readonly id?: string;
  readonly cluster?: string;
  readonly metadata?: Record<string, unknown>;
  readonly locality?: { region?: string; zone?: string; sub_zone?: string };
  readonly user_agent_name?: string;
}

export interface ErrorDetail {
  readonly code?: number;
  readonly message?: string;
}

export interface DiscoveryRequestMessage {
  readonly version_info?: string;
  readonly node?: NodeMessage;
  readonly resource_names?: string[];
  readonly type_url?: string;
  readonly response_nonce?: string;
  readonly error_detail?: ErrorDetail;
}

export interface DeltaDiscoveryRequestMessage {
  readonly node?: NodeMessage;
  readonly type_url?: string;
  readonly resource_names_subscribe?: string[];
  readonly resource_names_unsubscribe?: string[];
  readonly initial_resource_versions?: Record<string, string>;
  readonly response_nonce?: string;
  readonly error_detail?: ErrorDetail;
}

const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: Number, defaults: false, arrays: true };

/** A DiscoveryRequest whose resource names are decoded only on demand. */
export interface ScannedDiscoveryRequest extends Omit<DiscoveryRequestMessage, 'resource_names'> {
  /** A digest of the resource_names field's bytes: an equal digest means an equal list. */
  readonly namesDigest: string;
  resourceNames(): string[];
}

const LENGTH_DELIMITED = 2;

/**
 * Every ACK of a stream repeats its whole subscription (thousands of names for Envoy's EDS), so a
 * request is scanned, not decoded: the names are hashed as raw bytes and turned into strings only
 * when that hash changed. node and error_detail (first request, NACKs) are decoded when present.
 */
export function decodeDiscoveryRequest(bytes: Uint8Array): ScannedDiscoveryRequest {
  const reader = protobuf.Reader.create(bytes);
  // Names are normally one contiguous run of field 3: hash that run once; pieces only if interleaved.
  const pieces: [number, number][] = [];
  let version_info = '';
  let type_url = '';
  let response_nonce = '';
  let node: Uint8Array | undefined;
  let errorDetail: Uint8Array | undefined;
  while (reader.pos < reader.len) {
    const fieldStart = reader.pos;
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field >= 1 && field <= 6 && (tag & 7) !== LENGTH_DELIMITED)
      throw new Error(`field ${field} has wire type ${tag & 7}, expected ${LENGTH_DELIMITED}`);
    switch (field) {
      case 1:
        version_info = reader.string();
        break;
      case 2:
        node = reader.bytes();
        break;
      case 3: {
        reader.pos = skipNameRun(bytes, reader.pos, reader.len);
        const last = pieces.at(-1);
        if (last && last[1] === fieldStart) last[1] = reader.pos;
        else pieces.push([fieldStart, reader.pos]);
        break;
      }
      case 4:
        type_url = reader.string();
        break;
      case 5:
        response_nonce = reader.string();
        break;
      case 6:
        errorDetail = reader.bytes();
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  return {
    version_info,
    type_url,
    response_nonce,
    ...(node
      ? {
          node: lookupMessage('envoy.config.core.v3.Node').toObject(
            lookupMessage('envoy.config.core.v3.Node').decode(node),
            TO_OBJECT,
          ) as NodeMessage,
        }
      : {}),
    ...(errorDetail
      ? {
          error_detail: lookupMessage('google.rpc.Status').toObject(
            lookupMessage('google.rpc.Status').decode(errorDetail),
            TO_OBJECT,
          ) as ErrorDetail,
        }
      : {}),
    namesDigest: namesDigest(bytes, pieces),
    resourceNames: () =>
      (
        lookupMessage('envoy.service.discovery.v3.DiscoveryRequest').decode(bytes) as protobuf.Message & {
          resource_names: string[];
        }
      ).resource_names,
  };
}

/** Field 3 (resource_names), wire type 2: its tag is this one byte. */
const NAME_TAG = (3 << 3) | LENGTH_DELIMITED;

/**
 * From just after a resource_names tag: skips that name and every name that directly follows it
 * (Envoy's ACKs repeat thousands), returning the position after the last one.
 */
function skipNameRun(bytes: Uint8Array, start: number, end: number): number {
  let pos = start;
  for (;;) {
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= end || shift > 28) throw new Error(`invalid resource_names length at offset ${pos}`);
      const byte = bytes[pos]!;
      pos += 1;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    pos += length;
    if (pos > end) throw new Error(`resource_names runs past the end of the message (offset ${pos} of ${end})`);
    if (pos === end || bytes[pos] !== NAME_TAG) return pos;
    pos += 1;
  }
}

/** SHA-1 of the names' bytes; one-shot for the usual single run (every ACK of every stream comes here). */
function namesDigest(bytes: Uint8Array, pieces: readonly (readonly [number, number])[]): string {
  if (pieces.length === 1) return hash('sha1', bytes.subarray(pieces[0]![0], pieces[0]![1]), 'base64');
  const digest = createHash('sha1');
  for (const [start, end] of pieces) digest.update(bytes.subarray(start, end));
  return digest.digest('base64');
}

export function decodeDeltaDiscoveryRequest(bytes: Uint8Array): DeltaDiscoveryRequestMessage {
  const type = lookupMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  return type.toObject(type.decode(bytes), TO_OBJECT) as DeltaDiscoveryRequestMessage;
}

/** google.protobuf.Struct (as protobufjs decodes it) → plain JSON. */
export function structToJson(struct: unknown): Record<string, unknown> {
  const fields = (struct as { fields?: Record<string, unknown> } | undefined)?.fields ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = valueToJson(value);
  return out;
}

/** protobufjs's built-in well-known types keep their camelCase JSON names even under keepCase. */
function valueToJson(value: unknown): unknown {
  const v = (value ?? {}) as Record<string, unknown>;
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  if ('structValue' in v) return structToJson(v.structValue);
  if ('listValue' in v) return ((v.listValue as { values?: unknown[] }).values ?? []).map(valueToJson);
  return null;
}
