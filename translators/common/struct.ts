import type { ProtoObject } from '../../protos/any.ts';
import type { Metadata } from '../../protos/generated/envoy/config/core/v3/Metadata.ts';
import type { Struct } from '../../protos/generated/google/protobuf/Struct.ts';

/**
 * google.protobuf.Struct in the form protobufjs encodes (`{fields: {k: {stringValue: …}}}`: its
 * built-in well-known types keep camelCase field names even with keepCase). protobufjs has no JSON
 * mapping for Struct: a plain object, or snake_case Value fields, are silently encoded as empty,
 * so every Struct (metadata, transport socket matches) goes through here.
 */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export function structValue(json: { readonly [key: string]: JsonValue }): ProtoObject {
  const fields: Record<string, ProtoObject> = {};
  for (const [key, value] of Object.entries(json)) fields[key] = protoValue(value);
  return { fields };
}

function protoValue(value: JsonValue): ProtoObject {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: (value as readonly JsonValue[]).map(protoValue) } };
  return { structValue: structValue(value as { readonly [key: string]: JsonValue }) };
}

/** envoy.config.core.v3.Metadata: `filter_metadata` is a map of Structs. */
export function filterMetadata(byFilter: {
  readonly [filter: string]: { readonly [key: string]: JsonValue };
}): Metadata {
  const out: Record<string, Struct> = {};
  for (const [filter, json] of Object.entries(byFilter)) out[filter] = structMessage(json);
  return { filter_metadata: out };
}

/**
 * structValue typed as the generated Struct. The generated types spell Value's fields as the .proto
 * does (`string_value`); protobufjs's built-in Struct wants camelCase (`stringValue`, see above), so
 * this one place converts between the two views of the same message.
 */
export function structMessage(json: { readonly [key: string]: JsonValue }): Struct {
  return structValue(json) as Struct;
}
