/**
 * Walks a protobufjs message instance against the cached validate.rules plans, depth first in field
 * order. Like PGV, one value reports its first failing rule; unlike PGV's Validate(), which stops at
 * the first violation in the message, every value is checked, so one run lists everything to fix.
 */
import { Buffer } from 'node:buffer';
import protobuf from 'protobufjs';
import { messagePlan } from './message-plan.ts';
import { checkRange } from './range.ts';
import { asBigint, asRecord } from './raw-values.ts';
import type { Failure, FieldRules, MapRules, RepeatedRules, RuleViolation, TypeRules } from './rule-types.ts';
import { checkBool, checkBytes, checkEnum, checkString } from './scalar-checks.ts';
import { checkTime } from './time-checks.ts';

/** A protobufjs message instance read as a record of its fields. */
export type MessageLike = Readonly<Record<string, unknown>>;

export interface WalkContext {
  readonly violations: RuleViolation[];
  /** Report an Any whose type is not in the loaded protos (otherwise it is skipped unchecked). */
  readonly reportUnknownAny: boolean;
}

/** What a value's declared type is: a field, a repeated item, or a map value share this. */
interface ValueType {
  readonly type: string;
  readonly resolvedType: protobuf.Type | protobuf.Enum | null;
}

const ANY = '.google.protobuf.Any';
const WRAPPERS: ReadonlySet<string> = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (name) => `.google.protobuf.${name}Value`,
  ),
);
const LONG_TYPES: ReadonlySet<string> = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function report(context: WalkContext, path: string, rulePrefix: string, failure: Failure): void {
  context.violations.push({ path, rule: `${rulePrefix}${failure.rule}`, message: failure.message });
}

function fieldPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function isPresent(message: MessageLike, field: protobuf.Field): boolean {
  return Object.hasOwn(message, field.name) && message[field.name] !== null && message[field.name] !== undefined;
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return Array.isArray(value) ? Uint8Array.from(value.map(Number)) : new Uint8Array();
}

/** Scalar rules (also a wrapper's `.value`, a repeated item, a map key). Rules of another kind do not apply. */
function checkScalar(rules: TypeRules, value: unknown): Failure | undefined {
  switch (rules.kind) {
    case 'number': {
      const number = Number(value ?? 0);
      if (rules.ignoreEmpty && number === 0) return undefined;
      return checkRange(rules.family, number, rules.range, String);
    }
    case 'bigint': {
      const big = asBigint(value ?? 0) ?? 0n;
      if (rules.ignoreEmpty && big === 0n) return undefined;
      return checkRange(rules.family, big, rules.range, String);
    }
    case 'bool':
      return checkBool(value === true, rules);
    case 'string':
      return checkString(typeof value === 'string' ? value : '', rules);
    case 'bytes':
      return checkBytes(toBytes(value), rules);
    default:
      return undefined;
  }
}

function unpackAny(context: WalkContext, anyType: protobuf.Type, any: MessageLike, path: string): void {
  const typeUrl = typeof any.type_url === 'string' ? any.type_url : '';
  if (typeUrl === '') return;
  const packedType = anyType.root.lookup(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  if (!(packedType instanceof protobuf.Type)) {
    if (context.reportUnknownAny) {
      report(context, path, '', {
        rule: 'any.known_type',
        message: `type ${typeUrl} is not among the loaded protos; its content was not checked`,
      });
    }
    return;
  }
  let packed: MessageLike;
  try {
    packed = packedType.decode(toBytes(any.value)) as unknown as MessageLike;
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    report(context, path, '', { rule: 'any.decode', message: `cannot decode the packed ${typeUrl}: ${reason}` });
    return;
  }
  walkMessage(context, packedType, packed, path);
}

function walkMessageValue(
  context: WalkContext,
  type: protobuf.Type,
  rules: FieldRules | undefined,
  value: unknown,
  path: string,
  rulePrefix: string,
): void {
  const typeRules = rules?.type;
  const message = asRecord(value);
  if (!message) {
    if (rules?.message?.required)
      report(context, path, rulePrefix, { rule: 'message.required', message: 'value is required' });
    else if (typeRules && 'required' in typeRules && typeRules.required) {
      report(context, path, rulePrefix, { rule: `${typeRules.kind}.required`, message: 'value is required' });
    }
    return;
  }
  if (typeRules && WRAPPERS.has(type.fullName)) {
    const failure = checkScalar(typeRules, message.value);
    if (failure) report(context, fieldPath(path, 'value'), rulePrefix, failure);
  }
  if (typeRules?.kind === 'duration' || typeRules?.kind === 'timestamp') {
    const failure = checkTime(message, typeRules);
    if (failure) report(context, path, rulePrefix, failure);
  }
  if (type.fullName === ANY && typeRules?.kind === 'any') {
    const typeUrl = typeof message.type_url === 'string' ? message.type_url : '';
    if (typeRules.in.length > 0 && !typeRules.in.includes(typeUrl)) {
      report(context, path, rulePrefix, {
        rule: 'any.in',
        message: `type URL must be in list [${typeRules.in.join(', ')}] (got ${typeUrl})`,
      });
    } else if (typeRules.notIn.includes(typeUrl)) {
      report(context, path, rulePrefix, {
        rule: 'any.not_in',
        message: `type URL must not be in list [${typeRules.notIn.join(', ')}] (got ${typeUrl})`,
      });
    }
  }
  if (rules?.message?.skip) return;
  if (type.fullName === ANY) unpackAny(context, type, message, path);
  else walkMessage(context, type, message, path);
}

/** One value of a declared type: a singular field, a repeated item, or a map value. */
function walkValue(
  context: WalkContext,
  valueType: ValueType,
  rules: FieldRules | undefined,
  value: unknown,
  path: string,
  rulePrefix: string,
): void {
  const resolved = valueType.resolvedType;
  if (resolved instanceof protobuf.Type) {
    walkMessageValue(context, resolved, rules, value, path, rulePrefix);
    return;
  }
  const typeRules = rules?.type;
  if (!typeRules) return;
  const failure =
    resolved instanceof protobuf.Enum
      ? typeRules.kind === 'enum'
        ? checkEnum(Number(value ?? 0), typeRules, resolved.valuesById)
        : undefined
      : checkScalar(typeRules, value);
  if (failure) report(context, path, rulePrefix, failure);
}

function uniqueKey(value: unknown, long: boolean): string {
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
  if (long) return `long:${String(asBigint(value))}`;
  return `${typeof value}:${String(value)}`;
}

function walkRepeated(
  context: WalkContext,
  field: protobuf.Field,
  rules: RepeatedRules | undefined,
  value: unknown,
  path: string,
): void {
  const items: readonly unknown[] = Array.isArray(value) ? value : [];
  if (rules && !(rules.ignoreEmpty && items.length === 0)) {
    if (rules.minItems !== undefined && items.length < rules.minItems) {
      report(context, path, '', {
        rule: 'repeated.min_items',
        message: `value must contain at least ${rules.minItems} item(s) (got ${items.length})`,
      });
    }
    if (rules.maxItems !== undefined && items.length > rules.maxItems) {
      report(context, path, '', {
        rule: 'repeated.max_items',
        message: `value must contain no more than ${rules.maxItems} item(s) (got ${items.length})`,
      });
    }
    if (rules.unique) {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        const key = uniqueKey(item, field.long);
        if (seen.has(key))
          report(context, `${path}[${index}]`, '', {
            rule: 'repeated.unique',
            message: 'repeated value must contain unique items',
          });
        seen.add(key);
      });
    }
  }
  items.forEach((item, index) => walkValue(context, field, rules?.items, item, `${path}[${index}]`, 'repeated.items.'));
}

/** Map keys are object keys in protobufjs: strings, and for 64-bit key types possibly protobufjs's 8-char hashes. */
function mapKeyValue(keyType: string, key: string): unknown {
  if (keyType === 'bool') return key === 'true';
  if (keyType === 'string') return key;
  if (LONG_TYPES.has(keyType)) {
    return /^-?\d+$/.test(key)
      ? BigInt(key)
      : asBigint(protobuf.util.longFromHash(key, keyType.startsWith('u') || keyType === 'fixed64'));
  }
  return Number(key);
}

function walkMap(
  context: WalkContext,
  field: protobuf.MapField,
  rules: MapRules | undefined,
  value: unknown,
  path: string,
): void {
  const entries = Object.entries(asRecord(value) ?? {});
  if (rules && !(rules.ignoreEmpty && entries.length === 0)) {
    if (rules.minPairs !== undefined && entries.length < rules.minPairs) {
      report(context, path, '', {
        rule: 'map.min_pairs',
        message: `value must contain at least ${rules.minPairs} pair(s) (got ${entries.length})`,
      });
    }
    if (rules.maxPairs !== undefined && entries.length > rules.maxPairs) {
      report(context, path, '', {
        rule: 'map.max_pairs',
        message: `value must contain no more than ${rules.maxPairs} pair(s) (got ${entries.length})`,
      });
    }
  }
  for (const [key, entry] of entries) {
    const typedKey = mapKeyValue(field.keyType, key);
    const entryPath = `${path}[${typeof typedKey === 'string' ? JSON.stringify(key) : String(typedKey)}]`;
    if (rules?.noSparse && (entry === null || entry === undefined)) {
      report(context, entryPath, '', {
        rule: 'map.no_sparse',
        message: 'value cannot be sparse, all pairs must be non-nil',
      });
    }
    const keyFailure = rules?.keys?.type && checkScalar(rules.keys.type, typedKey);
    if (keyFailure) report(context, entryPath, 'map.keys.', keyFailure);
    walkValue(context, field, rules?.values, entry, entryPath, 'map.values.');
  }
}

/** Checks every rule of `type` on `message` and of everything set inside it, appending to context.violations. */
export function walkMessage(context: WalkContext, type: protobuf.Type, message: MessageLike, path: string): void {
  const plan = messagePlan(type);
  if (plan.skipAll) return;
  for (const oneof of plan.requiredOneofs) {
    if (!oneof.fieldsArray.some((member) => isPresent(message, member))) {
      const members = oneof.fieldsArray.map((member) => member.name).join(', ');
      report(context, fieldPath(path, oneof.name), '', {
        rule: 'oneof.required',
        message: `value is required: set one of ${members}`,
      });
    }
  }
  for (const { field, rules } of plan.fields) {
    // Oneof members (and proto3 `optional` fields) are checked only when set; plain proto3 scalars always.
    if (field.partOf && !isPresent(message, field)) continue;
    const value = message[field.name];
    const childPath = fieldPath(path, field.name);
    const typeRules = rules?.type;
    if (field instanceof protobuf.MapField)
      walkMap(context, field, typeRules?.kind === 'map' ? typeRules : undefined, value, childPath);
    else if (field.repeated)
      walkRepeated(context, field, typeRules?.kind === 'repeated' ? typeRules : undefined, value, childPath);
    else walkValue(context, field, rules, value, childPath, '');
  }
}
