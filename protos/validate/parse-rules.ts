import { Buffer } from 'node:buffer';
import { asBigint, asBool, asList, asNumber, asRecord, asString, type RawRecord } from './raw-values.ts';
import {
  BIGINT_FAMILIES,
  NUMBER_FAMILIES,
  type BigintFamily,
  type BytesRules,
  type CompiledPattern,
  type FieldRules,
  type NumberFamily,
  type RangeRules,
  type StringRules,
  type TimeRules,
  type TypeRules,
  type WellKnownString,
} from './rule-types.ts';

/** A `validate.rules` option this validator cannot turn into a check (e.g. a regex JavaScript cannot compile). */
export class ValidationRuleError extends Error {
  readonly code = 'MESHPILOT_ERR_VALIDATE_RULE';
  constructor(where: string, reason: string) {
    super(`cannot use the validate.rules of ${where}: ${reason}`);
  }
}

function isNumberFamily(key: string): key is NumberFamily {
  return (NUMBER_FAMILIES as readonly string[]).includes(key);
}

function isBigintFamily(key: string): key is BigintFamily {
  return (BIGINT_FAMILIES as readonly string[]).includes(key);
}

function defined<T>(values: readonly (T | undefined)[]): T[] {
  return values.filter((value): value is T => value !== undefined);
}

function range<T extends number | bigint>(raw: RawRecord, convert: (value: unknown) => T | undefined): RangeRules<T> {
  return {
    const: convert(raw.const),
    lt: convert(raw.lt),
    lte: convert(raw.lte),
    gt: convert(raw.gt),
    gte: convert(raw.gte),
    in: defined(asList(raw.in).map(convert)),
    notIn: defined(asList(raw.not_in).map(convert)),
  };
}

/** Duration or Timestamp `{seconds, nanos}` (an empty `{}` is zero) → nanoseconds. */
export function timeToNanos(value: unknown): bigint | undefined {
  const record = asRecord(value);
  if (!record) return undefined;
  const seconds = record.seconds === undefined ? 0n : asBigint(record.seconds);
  const nanos = record.nanos === undefined ? 0n : asBigint(record.nanos);
  return seconds === undefined || nanos === undefined ? undefined : seconds * 1_000_000_000n + nanos;
}

/**
 * PGV patterns are RE2, matched unanchored. JavaScript's `u` regexes agree on everything the
 * Envoy protos use; RE2's leading flag group `(?i)`/`(?s)` becomes a JavaScript flag.
 */
export function compilePattern(source: string, where: string): CompiledPattern {
  const flagGroup = /^\(\?([is]+)\)/.exec(source);
  const body = flagGroup ? source.slice(flagGroup[0].length) : source;
  const flags = flagGroup?.[1] ?? '';
  const translated = body.replaceAll('\\A', '^').replaceAll('\\z', '$');
  for (const unicode of ['u', '']) {
    try {
      return { source, regex: new RegExp(translated, flags + unicode) };
    } catch {
      // try the next flag set
    }
  }
  throw new ValidationRuleError(where, `regex pattern ${JSON.stringify(source)} does not compile in JavaScript`);
}

const WELL_KNOWN_FLAGS: readonly WellKnownString[] = ['hostname', 'ip', 'ipv4', 'ipv6', 'address', 'uuid'];

function wellKnownString(raw: RawRecord): StringRules['wellKnown'] {
  for (const check of WELL_KNOWN_FLAGS) {
    if (asBool(raw[check])) return { rule: `string.${check}`, check };
  }
  const regex = raw.well_known_regex;
  // `strict` defaults to true in validate.proto.
  const strict = raw.strict === undefined || asBool(raw.strict);
  if (regex === 'HTTP_HEADER_NAME' || regex === 1) {
    return { rule: 'string.well_known_regex', check: strict ? 'http_header_name' : 'header_string' };
  }
  if (regex === 'HTTP_HEADER_VALUE' || regex === 2) {
    return { rule: 'string.well_known_regex', check: strict ? 'http_header_value' : 'header_string' };
  }
  return undefined;
}

function stringRules(raw: RawRecord, where: string): StringRules {
  const pattern = asString(raw.pattern);
  return {
    kind: 'string',
    const: asString(raw.const),
    len: asNumber(raw.len),
    minLen: asNumber(raw.min_len),
    maxLen: asNumber(raw.max_len),
    lenBytes: asNumber(raw.len_bytes),
    minBytes: asNumber(raw.min_bytes),
    maxBytes: asNumber(raw.max_bytes),
    pattern: pattern === undefined ? undefined : compilePattern(pattern, where),
    prefix: asString(raw.prefix),
    suffix: asString(raw.suffix),
    contains: asString(raw.contains),
    notContains: asString(raw.not_contains),
    in: defined(asList(raw.in).map(asString)),
    notIn: defined(asList(raw.not_in).map(asString)),
    wellKnown: wellKnownString(raw),
    ignoreEmpty: asBool(raw.ignore_empty),
  };
}

/** protobufjs keeps a bytes option as the string literal; each char is one byte. */
function asBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : undefined;
}

function bytesRules(raw: RawRecord, where: string): BytesRules {
  const pattern = asString(raw.pattern);
  const ip = (['ip', 'ipv4', 'ipv6'] as const).find((check) => asBool(raw[check]));
  return {
    kind: 'bytes',
    const: asBytes(raw.const),
    len: asNumber(raw.len),
    minLen: asNumber(raw.min_len),
    maxLen: asNumber(raw.max_len),
    pattern: pattern === undefined ? undefined : compilePattern(pattern, where),
    prefix: asBytes(raw.prefix),
    suffix: asBytes(raw.suffix),
    contains: asBytes(raw.contains),
    in: defined(asList(raw.in).map(asBytes)),
    notIn: defined(asList(raw.not_in).map(asBytes)),
    ip,
    ignoreEmpty: asBool(raw.ignore_empty),
  };
}

function timeRules(kind: TimeRules['kind'], raw: RawRecord): TimeRules {
  return { kind, required: asBool(raw.required), range: range(raw, timeToNanos) };
}

function typeRules(family: string, raw: RawRecord, where: string): TypeRules | undefined {
  if (isNumberFamily(family)) {
    return { kind: 'number', family, range: range(raw, asNumber), ignoreEmpty: asBool(raw.ignore_empty) };
  }
  if (isBigintFamily(family)) {
    return { kind: 'bigint', family, range: range(raw, asBigint), ignoreEmpty: asBool(raw.ignore_empty) };
  }
  switch (family) {
    case 'bool':
      return { kind: 'bool', const: raw.const === undefined ? undefined : asBool(raw.const) };
    case 'string':
      return stringRules(raw, where);
    case 'bytes':
      return bytesRules(raw, where);
    case 'enum':
      return {
        kind: 'enum',
        const: asNumber(raw.const),
        definedOnly: asBool(raw.defined_only),
        in: defined(asList(raw.in).map(asNumber)),
        notIn: defined(asList(raw.not_in).map(asNumber)),
      };
    case 'repeated': {
      const items = asRecord(raw.items);
      return {
        kind: 'repeated',
        minItems: asNumber(raw.min_items),
        maxItems: asNumber(raw.max_items),
        unique: asBool(raw.unique),
        items: items && parseFieldRules(items, `${where} (items)`),
        ignoreEmpty: asBool(raw.ignore_empty),
      };
    }
    case 'map': {
      const keys = asRecord(raw.keys);
      const values = asRecord(raw.values);
      return {
        kind: 'map',
        minPairs: asNumber(raw.min_pairs),
        maxPairs: asNumber(raw.max_pairs),
        noSparse: asBool(raw.no_sparse),
        keys: keys && parseFieldRules(keys, `${where} (keys)`),
        values: values && parseFieldRules(values, `${where} (values)`),
        ignoreEmpty: asBool(raw.ignore_empty),
      };
    }
    case 'any':
      return {
        kind: 'any',
        required: asBool(raw.required),
        in: defined(asList(raw.in).map(asString)),
        notIn: defined(asList(raw.not_in).map(asString)),
      };
    case 'duration':
    case 'timestamp':
      return timeRules(family, raw);
    default:
      return undefined;
  }
}

/** Turns one field's merged `(validate.rules)` option value into FieldRules. `where` names the field in errors. */
export function parseFieldRules(raw: RawRecord, where: string): FieldRules {
  const message = asRecord(raw.message);
  let type: TypeRules | undefined;
  for (const [family, value] of Object.entries(raw)) {
    const familyRaw = asRecord(value);
    if (family === 'message' || !familyRaw) continue;
    type ??= typeRules(family, familyRaw, where);
  }
  return Object.freeze({
    message: message && { skip: asBool(message.skip), required: asBool(message.required) },
    type,
  });
}
