/**
 * Rule kinds that no loaded Envoy proto uses (or uses only one way), checked on a small proto made
 * here. Every probe field sits in one oneof, so only the field a case sets is checked.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { RuleViolation } from './rule-types.ts';
import { walkMessage, type MessageLike, type WalkContext } from './walker.ts';

const SYNTHETIC_PROTO = `
syntax = "proto3";
package synth;

enum Color { RED = 0; GREEN = 1; BLUE = 2; }
message Leaf { string name = 1 [(validate.rules).string.min_len = 1]; }
message Disabled { option (validate.disabled) = true; string name = 1 [(validate.rules).string.min_len = 1]; }

message Probe {
  oneof probe {
    int64 i64 = 1 [(validate.rules).int64 = {gt: -5, lt: 5}];
    uint64 u64 = 2 [(validate.rules).uint64 = {not_in: [3]}];
    sint32 outside = 3 [(validate.rules).sint32 = {gte: 10, lte: 0}];
    float f = 4 [(validate.rules).float = {const: 1.5}];
    fixed64 fx = 5 [(validate.rules).fixed64 = {in: [7, 8]}];
    sfixed32 sf = 6 [(validate.rules).sfixed32 = {lt: -1, ignore_empty: true}];
    string host = 10 [(validate.rules).string.hostname = true];
    string ip = 11 [(validate.rules).string.ip = true];
    string v4 = 12 [(validate.rules).string.ipv4 = true];
    string v6 = 13 [(validate.rules).string.ipv6 = true];
    string addr = 14 [(validate.rules).string.address = true];
    string id = 15 [(validate.rules).string.uuid = true];
    string exact = 16 [(validate.rules).string.const = "x"];
    string three = 17 [(validate.rules).string.len = 3];
    string three_bytes = 18 [(validate.rules).string.len_bytes = 3];
    string short = 19 [(validate.rules).string.max_len = 2];
    string affixes = 20 [(validate.rules).string = {prefix: "ab", suffix: "yz", contains: "mid", not_contains: "bad"}];
    string listed = 21 [(validate.rules).string = {in: ["a", "b"]}];
    string unlisted = 22 [(validate.rules).string = {not_in: ["c"]}];
    string header_value = 23 [(validate.rules).string.well_known_regex = HTTP_HEADER_VALUE];
    string caseless = 24 [(validate.rules).string.pattern = "(?i)^abc$"];
    bytes b_len = 30 [(validate.rules).bytes.len = 2];
    bytes b_affixes = 31 [(validate.rules).bytes = {prefix: "ab", suffix: "z", contains: "m"}];
    bytes b_ip = 32 [(validate.rules).bytes.ip = true];
    bytes b_listed = 33 [(validate.rules).bytes = {in: ["xy"], not_in: ["zz"]}];
    bytes b_pattern = 34 [(validate.rules).bytes.pattern = "^[a-z]+$"];
    bool yes = 40 [(validate.rules).bool.const = true];
    Color color_in = 41 [(validate.rules).enum = {in: [1, 2]}];
    Color color_const = 42 [(validate.rules).enum.const = 2];
    google.protobuf.Duration window = 50 [(validate.rules).duration = {gte {}, lt {seconds: 1}}];
    google.protobuf.Duration choice = 51 [(validate.rules).duration = {in {seconds: 1} in {seconds: 2}}];
    google.protobuf.Duration exact_duration = 52 [(validate.rules).duration.const = {seconds: 3}];
    google.protobuf.Timestamp when = 53 [(validate.rules).timestamp = {gt {seconds: 0}, lt {seconds: 100}}];
    google.protobuf.Any only_leaf = 54 [(validate.rules).any = {in: ["type.googleapis.com/synth.Leaf"]}];
    google.protobuf.Any no_leaf = 55 [(validate.rules).any = {not_in: ["type.googleapis.com/synth.Leaf"]}];
    google.protobuf.Int64Value wrapped = 56 [(validate.rules).int64.gte = 0];
    Leaf skipped = 57 [(validate.rules).message.skip = true];
    Leaf checked = 58;
    Disabled disabled = 59;
  }
  optional string opt = 70 [(validate.rules).string.min_len = 3];
  repeated string tags = 71 [(validate.rules).repeated = {min_items: 2, ignore_empty: true, unique: true}];
  repeated int64 nums = 72 [(validate.rules).repeated = {unique: true, items: {int64: {gt: 0}}}];
  map<int64, Leaf> leaves = 73 [(validate.rules).map = {max_pairs: 2, keys: {int64: {gt: 0}}, ignore_empty: true}];
  map<string, int32> counts = 74 [(validate.rules).map.values.int32.gte = 0];
  map<bool, string> flags = 75 [(validate.rules).map.keys.bool.const = true];
  repeated Leaf leaf_list = 76 [(validate.rules).repeated.items.message.skip = true];
  google.protobuf.Timestamp stamped = 77 [(validate.rules).timestamp.required = false];
}

message Required {
  google.protobuf.Timestamp at = 1 [(validate.rules).timestamp.required = true];
  google.protobuf.Any payload = 2 [(validate.rules).any.required = true];
}
`;

function syntheticRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const file of [
    'google/protobuf/any.proto',
    'google/protobuf/duration.proto',
    'google/protobuf/timestamp.proto',
    'google/protobuf/wrappers.proto',
  ]) {
    const json = protobuf.common.get(file);
    if (json?.nested) root.addJSON(json.nested);
  }
  protobuf.parse(SYNTHETIC_PROTO, root, { keepCase: true });
  root.resolveAll();
  return root;
}

const root = syntheticRoot();

function walk(type: protobuf.Type, message: protobuf.Message): RuleViolation[] {
  const context: WalkContext = { violations: [], reportUnknownAny: false };
  walkMessage(context, type, message as unknown as MessageLike, '');
  return context.violations;
}

/**
 * `path rule` lines for the object, checked as a fromObject instance and (unless `roundTrip` is
 * false) after an encode/decode round trip too.
 */
function validate(typeName: string, object: Record<string, unknown>, roundTrip = true): string[] {
  const type = root.lookupType(typeName);
  const instance = type.fromObject(object);
  const violations = walk(type, instance);
  if (roundTrip) expect(walk(type, type.decode(type.encode(instance).finish()))).toEqual(violations);
  return violations.map((violation) => `${violation.path} ${violation.rule}`);
}

const leafAny = (name: string): Record<string, unknown> => ({ '@type': 'type.googleapis.com/synth.Leaf', name });
const bytes = (text: string): string => Buffer.from(text, 'latin1').toString('base64');

const PROBES: readonly (readonly [field: string, value: unknown, failure: string | null])[] = [
  ['i64', '4', null],
  ['i64', '-5', 'i64 int64.gt'],
  ['i64', '9007199254740993', 'i64 int64.lt'],
  ['u64', 3, 'u64 uint64.not_in'],
  ['u64', '18446744073709551615', null],
  ['outside', 5, 'outside sint32.gte'],
  ['outside', 0, null],
  ['outside', 10, null],
  ['f', 1.5, null],
  ['f', 2, 'f float.const'],
  ['fx', 8, null],
  ['fx', 9, 'fx fixed64.in'],
  ['sf', 0, null],
  ['sf', 5, 'sf sfixed32.lt'],
  ['host', 'a.b-c.example.', null],
  ['host', '-bad.example', 'host string.hostname'],
  ['host', 'a..b', 'host string.hostname'],
  ['host', `${'x'.repeat(64)}.example`, 'host string.hostname'],
  ['ip', '::1', null],
  ['ip', '10.0.0.1', null],
  ['ip', 'fe80::1%eth0', 'ip string.ip'],
  ['ip', '1.2.3', 'ip string.ip'],
  ['v4', '1.2.3.4', null],
  ['v4', '::1', 'v4 string.ipv4'],
  ['v6', '2001:db8::1', null],
  ['v6', '1.2.3.4', 'v6 string.ipv6'],
  ['addr', 'example.com', null],
  ['addr', '1.2.3.4', null],
  ['addr', 'bad host', 'addr string.address'],
  ['id', '123e4567-e89b-12d3-a456-426614174000', null],
  ['id', '123e4567', 'id string.uuid'],
  ['exact', 'x', null],
  ['exact', 'y', 'exact string.const'],
  ['three', 'é😀a', null],
  ['three', 'ab', 'three string.len'],
  ['three_bytes', 'abc', null],
  ['three_bytes', 'éab', 'three_bytes string.len_bytes'],
  ['short', '😀😀', null],
  ['short', 'abc', 'short string.max_len'],
  ['affixes', 'ab-mid-yz', null],
  ['affixes', 'xb-mid-yz', 'affixes string.prefix'],
  ['affixes', 'ab-mid-yx', 'affixes string.suffix'],
  ['affixes', 'ab-mad-yz', 'affixes string.contains'],
  ['affixes', 'ab-mid-bad-yz', 'affixes string.not_contains'],
  ['listed', 'b', null],
  ['listed', 'c', 'listed string.in'],
  ['unlisted', 'c', 'unlisted string.not_in'],
  ['header_value', 'a\tb', null],
  ['header_value', 'a\u0001b', 'header_value string.well_known_regex'],
  ['caseless', 'ABC', null],
  ['caseless', 'abd', 'caseless string.pattern'],
  ['b_len', bytes('ab'), null],
  ['b_len', bytes('abc'), 'b_len bytes.len'],
  ['b_affixes', bytes('ab-m-z'), null],
  ['b_affixes', bytes('xb-m-z'), 'b_affixes bytes.prefix'],
  ['b_affixes', bytes('ab-m-y'), 'b_affixes bytes.suffix'],
  ['b_affixes', bytes('ab---z'), 'b_affixes bytes.contains'],
  ['b_ip', bytes('\u000a\u0000\u0000\u0001'), null],
  ['b_ip', bytes('\u000a\u0000\u0000'), 'b_ip bytes.ip'],
  ['b_listed', bytes('xy'), null],
  ['b_listed', bytes('zz'), 'b_listed bytes.in'],
  ['b_pattern', bytes('abc'), null],
  ['b_pattern', bytes('ab1'), 'b_pattern bytes.pattern'],
  ['yes', true, null],
  ['yes', false, 'yes bool.const'],
  ['color_in', 'BLUE', null],
  ['color_in', 'RED', 'color_in enum.in'],
  ['color_const', 'GREEN', 'color_const enum.const'],
  ['window', { nanos: 999_999_999 }, null],
  ['window', { seconds: -1 }, 'window duration.gte'],
  ['window', { seconds: 1 }, 'window duration.lt'],
  ['window', { seconds: 1, nanos: -5 }, 'window duration'],
  ['choice', { seconds: 2 }, null],
  ['choice', { seconds: 3 }, 'choice duration.in'],
  ['exact_duration', { seconds: 2 }, 'exact_duration duration.const'],
  ['when', { seconds: 50 }, null],
  ['when', { seconds: 100 }, 'when timestamp.lt'],
  ['when', {}, 'when timestamp.gt'],
  ['only_leaf', leafAny('ok'), null],
  ['only_leaf', { '@type': 'type.googleapis.com/google.protobuf.Duration', seconds: 1 }, 'only_leaf any.in'],
  ['only_leaf', leafAny(''), 'only_leaf.name string.min_len'],
  ['no_leaf', leafAny('ok'), 'no_leaf any.not_in'],
  ['wrapped', { value: '-1' }, 'wrapped.value int64.gte'],
  ['wrapped', {}, null],
  ['skipped', { name: '' }, null],
  ['checked', { name: '' }, 'checked.name string.min_len'],
  ['disabled', { name: '' }, null],
];

describe('rule kinds on a synthetic proto', () => {
  it.each(PROBES)('%s = %j → %s', (field, value, failure) => {
    expect(validate('synth.Probe', { [field]: value })).toEqual(failure === null ? [] : [failure]);
  });

  it('checks a proto3 optional field only when it is set', () => {
    expect(validate('synth.Probe', {})).toEqual([]);
    expect(validate('synth.Probe', { opt: 'ab' })).toEqual(['opt string.min_len']);
    expect(validate('synth.Probe', { opt: 'abc' })).toEqual([]);
  });

  it('checks repeated ignore_empty, min_items, unique and item rules with indexes', () => {
    expect(validate('synth.Probe', { tags: ['a'] })).toEqual(['tags repeated.min_items']);
    expect(validate('synth.Probe', { tags: ['a', 'b', 'a'] })).toEqual(['tags[2] repeated.unique']);
    expect(validate('synth.Probe', { nums: [1, '2', '1', 0] })).toEqual([
      'nums[2] repeated.unique',
      'nums[3] repeated.items.int64.gt',
    ]);
    expect(validate('synth.Probe', { leaf_list: [{ name: '' }] })).toEqual([]);
  });

  it('checks map pairs, 64-bit and bool keys, and values, with the key in the path', () => {
    expect(validate('synth.Probe', { leaves: { '1': { name: 'a' }, '-2': { name: 'b' }, '3': { name: '' } } })).toEqual(
      ['leaves map.max_pairs', 'leaves[3].name string.min_len', 'leaves[-2] map.keys.int64.gt'],
    );
    expect(validate('synth.Probe', { counts: { a: 1, b: -1 } })).toEqual(['counts["b"] map.values.int32.gte']);
    // No round trip: protobufjs encodes the object key 'false' of a bool-keyed map as true.
    expect(validate('synth.Probe', { flags: { true: 'x', false: 'y' } }, false)).toEqual([
      'flags[false] map.keys.bool.const',
    ]);
  });

  it('reports absent required Timestamp and Any', () => {
    expect(validate('synth.Required', {})).toEqual(['at timestamp.required', 'payload any.required']);
    expect(validate('synth.Required', { at: { seconds: 1 }, payload: leafAny('x') })).toEqual([]);
  });
});
