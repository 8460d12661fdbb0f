/**
 * The canonical proto3 JSON mapping (what Envoy's JSON/YAML config parser reads), which protobufjs
 * lacks for the well-known types: it renders a Duration as `{seconds}`, a Struct as `{fields}` and a
 * wrapper as `{value}`, none of which Envoy accepts. `toProto3Json` turns a decoded message (as
 * `decodeMessage` returns it) into proto3 JSON with the .proto field names (snake_case; Envoy
 * accepts those and the lowerCamelCase json names alike); `fromProto3Json` reads proto3 JSON back
 * into the plain-object form `encodeMessage` takes, rejecting unknown fields as Envoy does.
 */
import protobuf from 'protobufjs';
import { lookupMessage } from './load.ts';
import { messageNameOf, TYPE_PREFIX } from './type-urls.ts';

export class Proto3JsonError extends Error {
  readonly code = 'MESHPILOT_ERR_PROTO3_JSON';
  constructor(path: string, reason: string) {
    super(`${path === '' ? '(root)' : path}: ${reason}`);
  }
}

type Json = unknown;
type JsonObject = Record<string, unknown>;

const WRAPPERS: Readonly<Record<string, 'number' | 'int64' | 'bool' | 'string' | 'bytes'>> = {
  'google.protobuf.DoubleValue': 'number',
  'google.protobuf.FloatValue': 'number',
  'google.protobuf.Int32Value': 'number',
  'google.protobuf.UInt32Value': 'number',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'int64',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};
const WRAPPER_DEFAULTS = { number: 0, int64: '0', bool: false, string: '', bytes: '' } as const;

const fullName = (type: protobuf.Type): string => type.fullName.replace(/^\./, '');
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
const lowerCamel = (name: string): string => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function isWellKnown(type: protobuf.Type): boolean {
  const name = fullName(type);
  return (
    name in WRAPPERS ||
    [
      'google.protobuf.Duration',
      'google.protobuf.Timestamp',
      'google.protobuf.Struct',
      'google.protobuf.Value',
      'google.protobuf.ListValue',
      'google.protobuf.Empty',
      'google.protobuf.FieldMask',
    ].includes(name)
  );
}

function anyType(url: unknown, path: string): protobuf.Type {
  if (typeof url !== 'string' || url === '') throw new Proto3JsonError(path, 'an Any needs a "@type"');
  try {
    return lookupMessage(messageNameOf(url));
  } catch {
    throw new Proto3JsonError(path, `unknown Any type ${url}`);
  }
}

// ---- decoded message → proto3 JSON ----

/** Proto3 JSON of a message of `typeName` given as `decodeMessage` returns it. */
export function toProto3Json(typeName: string, decoded: JsonObject): JsonObject {
  const json = messageToJson(lookupMessage(messageNameOf(typeName)), decoded, '');
  if (!isObject(json)) throw new Proto3JsonError('', `${typeName} is a well-known type without a JSON object form`);
  return json;
}

function durationString(seconds: number, nanos: number): string {
  const negative = seconds < 0 || nanos < 0;
  const whole = Math.abs(seconds);
  const fraction = Math.abs(nanos);
  let digits = fraction === 0 ? '' : `.${String(fraction).padStart(9, '0')}`;
  while (digits.endsWith('000')) digits = digits.slice(0, -3);
  return `${negative ? '-' : ''}${whole}${digits}s`;
}

function structToJson(value: unknown): JsonObject {
  const fields = isObject(value) && isObject(value['fields']) ? value['fields'] : {};
  return Object.fromEntries(Object.entries(fields).map(([key, v]) => [key, valueToJson(v)]));
}

function valueToJson(value: unknown): Json {
  if (!isObject(value)) return null;
  if ('stringValue' in value) return value['stringValue'];
  if ('numberValue' in value) return value['numberValue'];
  if ('boolValue' in value) return value['boolValue'];
  if ('structValue' in value) return structToJson(value['structValue']);
  if ('listValue' in value) return listToJson(value['listValue']);
  return null;
}

function listToJson(value: unknown): Json[] {
  const values = isObject(value) && Array.isArray(value['values']) ? (value['values'] as unknown[]) : [];
  return values.map(valueToJson);
}

function messageToJson(type: protobuf.Type, decoded: JsonObject, path: string): Json {
  const name = fullName(type);
  const wrapper = WRAPPERS[name];
  if (wrapper !== undefined) return decoded['value'] ?? WRAPPER_DEFAULTS[wrapper];
  switch (name) {
    case 'google.protobuf.Duration':
      return durationString(Number(decoded['seconds'] ?? 0), Number(decoded['nanos'] ?? 0));
    case 'google.protobuf.Timestamp':
      return new Date(
        Number(decoded['seconds'] ?? 0) * 1000 + Math.floor(Number(decoded['nanos'] ?? 0) / 1e6),
      ).toISOString();
    case 'google.protobuf.Struct':
      return structToJson(decoded);
    case 'google.protobuf.Value':
      return valueToJson(decoded);
    case 'google.protobuf.ListValue':
      return listToJson(decoded);
    case 'google.protobuf.Empty':
      return {};
    case 'google.protobuf.FieldMask':
      return (Array.isArray(decoded['paths']) ? (decoded['paths'] as string[]) : []).map(lowerCamel).join(',');
    case 'google.protobuf.Any': {
      const url = decoded['@type'];
      const inner = anyType(url, path);
      const { '@type': _url, ...fields } = decoded;
      const body = messageToJson(inner, fields, path);
      return isWellKnown(inner) ? { '@type': url, value: body } : { '@type': url, ...(body as JsonObject) };
    }
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(decoded)) {
    const field = type.fields[key];
    if (field === undefined) throw new Proto3JsonError(join(path, key), `no field ${key} in ${name}`);
    out[key] = fieldToJson(field, value, join(path, key));
  }
  return out;
}

function fieldToJson(field: protobuf.Field, value: unknown, path: string): Json {
  const message = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
  if (message === undefined) return value;
  const one = (v: unknown, p: string): Json => (isObject(v) ? messageToJson(message, v, p) : v);
  if (field.map)
    return Object.fromEntries(Object.entries(isObject(value) ? value : {}).map(([k, v]) => [k, one(v, join(path, k))]));
  if (field.repeated) return (Array.isArray(value) ? value : []).map((v: unknown, i) => one(v, join(path, i)));
  return one(value, path);
}

// ---- proto3 JSON → encodeMessage's plain object ----

/** Reads proto3 JSON of `typeName` (snake_case or lowerCamelCase names) into the form `encodeMessage` takes. */
export function fromProto3Json(typeName: string, json: unknown): JsonObject {
  const result = messageFromJson(lookupMessage(messageNameOf(typeName)), json, '');
  if (!isObject(result)) throw new Proto3JsonError('', `expected a JSON object for ${typeName}`);
  return result;
}

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

function durationFromJson(json: unknown, path: string): JsonObject {
  const match = typeof json === 'string' ? DURATION.exec(json) : null;
  if (match === null)
    throw new Proto3JsonError(path, `a Duration must be a string like "1.5s", got ${JSON.stringify(json)}`);
  const sign = match[1] === '-' ? -1 : 1;
  const seconds = sign * Number(match[2]);
  const nanos = sign * Number((match[3] ?? '').padEnd(9, '0'));
  return { ...(seconds !== 0 && { seconds }), ...(nanos !== 0 && { nanos }) };
}

function valueFromJson(json: unknown): JsonObject {
  if (json === null) return { nullValue: 'NULL_VALUE' };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(valueFromJson) } };
  return { structValue: structFromJson(json) };
}

function structFromJson(json: unknown): JsonObject {
  return {
    fields: Object.fromEntries(Object.entries(isObject(json) ? json : {}).map(([key, v]) => [key, valueFromJson(v)])),
  };
}

function fieldsByJsonName(type: protobuf.Type): Map<string, protobuf.Field> {
  const byName = new Map<string, protobuf.Field>();
  for (const field of type.fieldsArray) {
    byName.set(field.name, field);
    byName.set(lowerCamel(field.name), field);
  }
  return byName;
}

function messageFromJson(type: protobuf.Type, json: unknown, path: string): unknown {
  const name = fullName(type);
  const wrapper = WRAPPERS[name];
  if (wrapper !== undefined) return { value: json };
  switch (name) {
    case 'google.protobuf.Duration':
      return durationFromJson(json, path);
    case 'google.protobuf.Timestamp': {
      const ms = typeof json === 'string' ? Date.parse(json) : Number.NaN;
      if (Number.isNaN(ms))
        throw new Proto3JsonError(path, `a Timestamp must be an RFC 3339 string, got ${JSON.stringify(json)}`);
      return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
    }
    case 'google.protobuf.Struct':
      if (!isObject(json)) throw new Proto3JsonError(path, 'a Struct must be a JSON object');
      return structFromJson(json);
    case 'google.protobuf.Value':
      return valueFromJson(json);
    case 'google.protobuf.ListValue':
      if (!Array.isArray(json)) throw new Proto3JsonError(path, 'a ListValue must be a JSON array');
      return { values: json.map(valueFromJson) };
    case 'google.protobuf.FieldMask':
      return { paths: typeof json === 'string' && json !== '' ? json.split(',') : [] };
    case 'google.protobuf.Any': {
      if (!isObject(json)) throw new Proto3JsonError(path, 'an Any must be a JSON object');
      const inner = anyType(json['@type'], path);
      const url = String(json['@type']).startsWith(TYPE_PREFIX)
        ? json['@type']
        : `${TYPE_PREFIX}${String(json['@type'])}`;
      const { '@type': _url, ...fields } = json;
      const body = messageFromJson(inner, isWellKnown(inner) ? fields['value'] : fields, path);
      return { '@type': url, ...(body as JsonObject) };
    }
  }
  if (!isObject(json))
    throw new Proto3JsonError(path, `expected a JSON object for ${name}, got ${JSON.stringify(json)}`);
  const fields = fieldsByJsonName(type);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    const field = fields.get(key);
    if (field === undefined) throw new Proto3JsonError(join(path, key), `unknown field "${key}" in ${name}`);
    if (field.name in out) throw new Proto3JsonError(join(path, key), `field ${field.name} given twice`);
    out[field.name] = fieldFromJson(field, value, join(path, key));
  }
  return out;
}

function fieldFromJson(field: protobuf.Field, value: unknown, path: string): unknown {
  const message = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
  if (message === undefined) return value;
  if (field.map) {
    if (!isObject(value)) throw new Proto3JsonError(path, 'a map must be a JSON object');
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, messageFromJson(message, v, join(path, k))]));
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new Proto3JsonError(path, 'a repeated field must be a JSON array');
    return value.map((v: unknown, i) => messageFromJson(message, v, join(path, i)));
  }
  return messageFromJson(message, value, path);
}
