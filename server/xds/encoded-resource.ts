import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import type { XdsTypeUrl } from '../../protos/type-urls.ts';

/**
 * A resource encoded once: the bytes of its google.protobuf.Any, shared by every stream that sends
 * it. Its version is a hash of those bytes, so versions survive restarts (a counter would reset
 * and make proxies skip updates, as Contour found with go-control-plane's LinearCache).
 */
export interface EncodedResource {
  readonly name: string;
  readonly typeUrl: XdsTypeUrl;
  readonly version: string;
  /** Encoded google.protobuf.Any { type_url, value }. */
  readonly anyBytes: Uint8Array;
  /** The message bytes inside the Any. */
  readonly valueBytes: Uint8Array;
}

export function contentVersion(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export function encodeAnyBytes(typeUrl: string, value: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32(10).string(typeUrl).uint32(18).bytes(value).finish();
}

/** A version for a whole set of resources: a hash over their names and versions, in name order. */
export function setVersion(resources: Iterable<{ readonly name: string; readonly version: string }>): string {
  const hash = createHash('sha256');
  const sorted = [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const resource of sorted) hash.update(resource.name).update('\0').update(resource.version).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** The `resources` field (2) of a DiscoveryResponse: each resource's Any, tagged and length-prefixed. */
export function encodeResourcesField(resources: Iterable<EncodedResource>): Buffer {
  const writer = protobuf.Writer.create();
  for (const resource of resources) writer.uint32(18).bytes(resource.anyBytes);
  const bytes = writer.finish();
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
