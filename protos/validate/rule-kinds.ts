/**
 * Every `validate.rules` kind, as `<family>.<rule>` (the keys of validate.proto's FieldRules and
 * its nested *Rules messages), is either checked by this validator or listed in IGNORED_RULE_KINDS
 * with the reason. A test walks every loaded proto and fails on any kind in neither list, so a new
 * rule kind in a newer data-plane-api cannot be skipped without anyone noticing.
 */
import { BIGINT_FAMILIES, NUMBER_FAMILIES } from './rule-types.ts';

const NUMERIC_RULES = ['const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'ignore_empty'];

const STRING_RULES = [
  'const',
  'len',
  'min_len',
  'max_len',
  'len_bytes',
  'min_bytes',
  'max_bytes',
  'pattern',
  'prefix',
  'suffix',
  'contains',
  'not_contains',
  'in',
  'not_in',
  'hostname',
  'ip',
  'ipv4',
  'ipv6',
  'address',
  'uuid',
  'well_known_regex',
  'strict',
  'ignore_empty',
];

const BYTES_RULES = [
  'const',
  'len',
  'min_len',
  'max_len',
  'pattern',
  'prefix',
  'suffix',
  'contains',
  'in',
  'not_in',
  'ip',
  'ipv4',
  'ipv6',
  'ignore_empty',
];

function kinds(family: string, rules: readonly string[]): string[] {
  return rules.map((rule) => `${family}.${rule}`);
}

export const SUPPORTED_RULE_KINDS: ReadonlySet<string> = new Set([
  ...kinds('message', ['required', 'skip']),
  ...[...NUMBER_FAMILIES, ...BIGINT_FAMILIES].flatMap((family) => kinds(family, NUMERIC_RULES)),
  'bool.const',
  ...kinds('string', STRING_RULES),
  ...kinds('bytes', BYTES_RULES),
  ...kinds('enum', ['const', 'defined_only', 'in', 'not_in']),
  ...kinds('repeated', ['min_items', 'max_items', 'unique', 'items', 'ignore_empty']),
  ...kinds('map', ['min_pairs', 'max_pairs', 'no_sparse', 'keys', 'values', 'ignore_empty']),
  ...kinds('any', ['required', 'in', 'not_in']),
  ...kinds('duration', ['required', 'const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in']),
  ...kinds('timestamp', ['required', 'const', 'lt', 'lte', 'gt', 'gte']),
]);

/** Rule kinds deliberately not checked, each with the reason. */
export const IGNORED_RULE_KINDS: ReadonlyMap<string, string> = new Map([
  ['string.email', 'no loaded Envoy proto uses it; RFC 5322 address parsing is not worth carrying unused'],
  ['string.uri', 'no loaded Envoy proto uses it; RFC 3986 parsing is not worth carrying unused'],
  ['string.uri_ref', 'no loaded Envoy proto uses it; RFC 3986 parsing is not worth carrying unused'],
  ['timestamp.lt_now', 'depends on the clock at receipt; this validator is a pure function of the message'],
  ['timestamp.gt_now', 'depends on the clock at receipt; this validator is a pure function of the message'],
  ['timestamp.within', 'depends on the clock at receipt; this validator is a pure function of the message'],
]);

/** Rules whose value is itself a FieldRules (so their own kinds are counted one level down). */
export const NESTED_RULE_KINDS: ReadonlySet<string> = new Set(['repeated.items', 'map.keys', 'map.values']);
