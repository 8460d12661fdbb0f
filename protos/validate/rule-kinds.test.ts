import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { protoRoot } from '../load.ts';
import { messagePlan, rawFieldRules, REQUIRED_ONEOF_OPTION, RULES_OPTION } from './message-plan.ts';
import { asRecord } from './raw-values.ts';
import { IGNORED_RULE_KINDS, NESTED_RULE_KINDS, SUPPORTED_RULE_KINDS } from './rule-kinds.ts';

function allTypes(namespace: protobuf.NamespaceBase, found: protobuf.Type[] = []): protobuf.Type[] {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type) found.push(nested);
    if (nested instanceof protobuf.Namespace) allTypes(nested, found);
  }
  return found;
}

/** `<family>.<rule>` for every rule in a raw FieldRules, descending into repeated.items / map.keys / map.values. */
function kindsOf(rules: unknown, into: Map<string, number>): void {
  for (const [family, familyRules] of Object.entries(asRecord(rules) ?? {})) {
    for (const [rule, value] of Object.entries(asRecord(familyRules) ?? { '(scalar)': familyRules })) {
      const kind = `${family}.${rule}`;
      into.set(kind, (into.get(kind) ?? 0) + 1);
      if (NESTED_RULE_KINDS.has(kind)) kindsOf(value, into);
    }
  }
}

const types = allTypes(protoRoot());

describe('validate.rules kinds in the loaded data-plane-api protos', () => {
  const found = new Map<string, number>();
  for (const type of types) {
    for (const field of type.fieldsArray) kindsOf(rawFieldRules(field), found);
  }

  it('are each either checked or listed as ignored with a reason', () => {
    const unhandled = [...found.keys()].filter(
      (kind) => !SUPPORTED_RULE_KINDS.has(kind) && !IGNORED_RULE_KINDS.has(kind),
    );
    expect(unhandled).toEqual([]);
  });

  it('include the families meshpilot output meets, so the check above is not vacuous', () => {
    expect(found.size).toBeGreaterThanOrEqual(30);
    for (const kind of [
      'string.min_len',
      'string.well_known_regex',
      'string.pattern',
      'uint32.gte',
      'enum.defined_only',
      'message.required',
      'repeated.min_items',
      'repeated.items',
      'map.keys',
      'duration.gt',
      'duration.required',
      'any.required',
      'double.gte',
      'bool.const',
    ]) {
      expect(found.get(kind), kind).toBeGreaterThan(0);
    }
  });

  it('lists no kind as both supported and ignored', () => {
    expect([...IGNORED_RULE_KINDS.keys()].filter((kind) => SUPPORTED_RULE_KINDS.has(kind))).toEqual([]);
  });

  it('parse for every field of every loaded type (patterns compile, nothing throws)', () => {
    let withRules = 0;
    for (const type of types) {
      const plan = messagePlan(type);
      for (const { field, rules } of plan.fields) {
        // Field.options drops some aggregate forms (e.g. `duration = {gt {}}`) that parsedOptions keeps.
        const declared = Object.keys(field.options ?? {}).some((key) => key.startsWith(RULES_OPTION));
        if (declared) expect(rules, `${type.fullName}.${field.name}`).toBeDefined();
        if (rules) withRules++;
      }
    }
    expect(withRules).toBeGreaterThan(300);
  });

  it('find the (validate.required) oneofs', () => {
    const required = types.flatMap((type) => messagePlan(type).requiredOneofs);
    const declared = types.flatMap((type) =>
      type.oneofsArray.filter((oneof) => oneof.options?.[REQUIRED_ONEOF_OPTION] === true),
    );
    expect(required.length).toBe(declared.length);
    expect(required.length).toBeGreaterThan(20);
  });

  it('caches one plan per message type', () => {
    const type = protoRoot().lookupType('envoy.config.cluster.v3.Cluster');
    expect(messagePlan(type)).toBe(messagePlan(type));
  });
});
