import { Buffer } from 'node:buffer';
import { checkRange } from './range.ts';
import type { BoolRules, BytesRules, EnumRules, Failure, StringRules } from './rule-types.ts';
import { checkWellKnown } from './well-known.ts';

const SHOWN_CHARS = 64;

/** A value as it appears in a message: quoted, and cut short so one violation stays one line. */
export function show(value: string): string {
  const cut = value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}…` : value;
  return JSON.stringify(cut);
}

function fail(rule: string, message: string): Failure {
  return { rule, message };
}

function runeCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** PGV's string rules in its order; lengths in runes (code points) or UTF-8 bytes as the rule says. */
export function checkString(value: string, rules: StringRules): Failure | undefined {
  if (rules.ignoreEmpty && value === '') return undefined;
  const got = ` (got ${show(value)})`;
  if (rules.const !== undefined && value !== rules.const) {
    return fail('string.const', `value must equal ${show(rules.const)}${got}`);
  }
  if (rules.in.length > 0 && !rules.in.includes(value)) {
    return fail('string.in', `value must be in list [${rules.in.map(show).join(', ')}]${got}`);
  }
  if (rules.notIn.includes(value)) {
    return fail('string.not_in', `value must not be in list [${rules.notIn.map(show).join(', ')}]${got}`);
  }
  const runes = runeCount(value);
  if (rules.len !== undefined && runes !== rules.len) {
    return fail('string.len', `value length must be ${rules.len} runes${got}`);
  }
  if (rules.minLen !== undefined && runes < rules.minLen) {
    return fail('string.min_len', `value length must be at least ${rules.minLen} runes${got}`);
  }
  if (rules.maxLen !== undefined && runes > rules.maxLen) {
    return fail('string.max_len', `value length must be at most ${rules.maxLen} runes (got ${runes})`);
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (rules.lenBytes !== undefined && bytes !== rules.lenBytes) {
    return fail('string.len_bytes', `value length must be ${rules.lenBytes} bytes (got ${bytes})`);
  }
  if (rules.minBytes !== undefined && bytes < rules.minBytes) {
    return fail('string.min_bytes', `value length must be at least ${rules.minBytes} bytes (got ${bytes})`);
  }
  if (rules.maxBytes !== undefined && bytes > rules.maxBytes) {
    return fail('string.max_bytes', `value length must be at most ${rules.maxBytes} bytes (got ${bytes})`);
  }
  if (rules.pattern && !rules.pattern.regex.test(value)) {
    return fail('string.pattern', `value does not match regex pattern ${show(rules.pattern.source)}${got}`);
  }
  if (rules.prefix !== undefined && !value.startsWith(rules.prefix)) {
    return fail('string.prefix', `value does not have prefix ${show(rules.prefix)}${got}`);
  }
  if (rules.suffix !== undefined && !value.endsWith(rules.suffix)) {
    return fail('string.suffix', `value does not have suffix ${show(rules.suffix)}${got}`);
  }
  if (rules.contains !== undefined && !value.includes(rules.contains)) {
    return fail('string.contains', `value does not contain substring ${show(rules.contains)}${got}`);
  }
  if (rules.notContains !== undefined && value.includes(rules.notContains)) {
    return fail('string.not_contains', `value contains substring ${show(rules.notContains)}${got}`);
  }
  if (rules.wellKnown) {
    const message = checkWellKnown(rules.wellKnown.check, value);
    if (message !== undefined) return fail(rules.wellKnown.rule, `${message}${got}`);
  }
  return undefined;
}

function showBytes(value: Uint8Array): string {
  return `0x${Buffer.from(value).toString('hex').slice(0, SHOWN_CHARS)}`;
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return Buffer.from(left).equals(Buffer.from(right));
}

function checkBytesIp(value: Uint8Array, ip: NonNullable<BytesRules['ip']>): string | undefined {
  const v4 = value.length === 4;
  const v6 = value.length === 16;
  if (ip === 'ipv4' && !v4) return 'value must be a valid IPv4 address';
  if (ip === 'ipv6' && !v6) return 'value must be a valid IPv6 address';
  if (ip === 'ip' && !v4 && !v6) return 'value must be a valid IP address';
  return undefined;
}

export function checkBytes(value: Uint8Array, rules: BytesRules): Failure | undefined {
  if (rules.ignoreEmpty && value.length === 0) return undefined;
  const buffer = Buffer.from(value);
  const got = ` (got ${showBytes(value)}, ${value.length} bytes)`;
  if (rules.const !== undefined && !sameBytes(value, rules.const)) {
    return fail('bytes.const', `value must equal ${showBytes(rules.const)}${got}`);
  }
  if (rules.len !== undefined && value.length !== rules.len) {
    return fail('bytes.len', `value length must be ${rules.len} bytes${got}`);
  }
  if (rules.minLen !== undefined && value.length < rules.minLen) {
    return fail('bytes.min_len', `value length must be at least ${rules.minLen} bytes${got}`);
  }
  if (rules.maxLen !== undefined && value.length > rules.maxLen) {
    return fail('bytes.max_len', `value length must be at most ${rules.maxLen} bytes${got}`);
  }
  if (rules.pattern && !rules.pattern.regex.test(buffer.toString('utf8'))) {
    return fail('bytes.pattern', `value does not match regex pattern ${show(rules.pattern.source)}${got}`);
  }
  if (rules.prefix !== undefined && !buffer.subarray(0, rules.prefix.length).equals(Buffer.from(rules.prefix))) {
    return fail('bytes.prefix', `value does not have prefix ${showBytes(rules.prefix)}${got}`);
  }
  if (
    rules.suffix !== undefined &&
    (rules.suffix.length > value.length ||
      !buffer.subarray(value.length - rules.suffix.length).equals(Buffer.from(rules.suffix)))
  ) {
    return fail('bytes.suffix', `value does not have suffix ${showBytes(rules.suffix)}${got}`);
  }
  if (rules.contains !== undefined && !buffer.includes(Buffer.from(rules.contains))) {
    return fail('bytes.contains', `value does not contain ${showBytes(rules.contains)}${got}`);
  }
  if (rules.in.length > 0 && !rules.in.some((allowed) => sameBytes(value, allowed))) {
    return fail('bytes.in', `value must be in list [${rules.in.map(showBytes).join(', ')}]${got}`);
  }
  if (rules.notIn.some((denied) => sameBytes(value, denied))) {
    return fail('bytes.not_in', `value must not be in list [${rules.notIn.map(showBytes).join(', ')}]${got}`);
  }
  if (rules.ip) {
    const message = checkBytesIp(value, rules.ip);
    if (message !== undefined) return fail(`bytes.${rules.ip}`, `${message}${got}`);
  }
  return undefined;
}

export function checkBool(value: boolean, rules: BoolRules): Failure | undefined {
  if (rules.const !== undefined && value !== rules.const) {
    return fail('bool.const', `value must equal ${String(rules.const)} (got ${String(value)})`);
  }
  return undefined;
}

/** `names` maps enum numbers to names (protobufjs Enum.valuesById). */
export function checkEnum(
  value: number,
  rules: EnumRules,
  names: Readonly<Record<number, string>>,
): Failure | undefined {
  const format = (number: number): string =>
    names[number] === undefined ? String(number) : `${names[number]}(${number})`;
  const constFailure = checkRange('enum', value, { const: rules.const, in: [], notIn: [] }, format);
  if (constFailure) return constFailure;
  if (rules.definedOnly && names[value] === undefined) {
    return fail('enum.defined_only', `value must be one of the defined enum values (got ${value})`);
  }
  return checkRange('enum', value, { in: rules.in, notIn: rules.notIn }, format);
}
