import protobuf from 'protobufjs';
import { parseFieldRules } from './parse-rules.ts';
import { asBool, asRecord, mergeRecords, type RawRecord } from './raw-values.ts';
import type { FieldRules } from './rule-types.ts';

export const RULES_OPTION = '(validate.rules)';
export const REQUIRED_ONEOF_OPTION = '(validate.required)';
const DISABLED_OPTION = '(validate.disabled)';
const IGNORED_OPTION = '(validate.ignored)';

export interface FieldPlan {
  readonly field: protobuf.Field;
  readonly rules?: FieldRules;
}

/** What the walker needs to know about one message type; derived once from the protos and never changed. */
export interface MessagePlan {
  /** `(validate.disabled)` or `(validate.ignored)`: PGV generates no checks for this message. */
  readonly skipAll: boolean;
  readonly fields: readonly FieldPlan[];
  /** Oneofs marked `(validate.required)`: exactly one member must be set. */
  readonly requiredOneofs: readonly protobuf.OneOf[];
}

/** The merged raw `(validate.rules)` value of a field, or undefined when it has none. */
export function rawFieldRules(field: protobuf.Field): RawRecord | undefined {
  const statements: unknown = field.parsedOptions;
  if (!Array.isArray(statements)) return undefined;
  let merged: RawRecord | undefined;
  for (const statement of statements) {
    const rules = asRecord(asRecord(statement)?.[RULES_OPTION]);
    if (rules) merged = merged ? mergeRecords(merged, rules) : rules;
  }
  return merged;
}

// A cache of derived, immutable data keyed by the protobufjs Type: the only module state here.
const plans = new WeakMap<protobuf.Type, MessagePlan>();

function buildPlan(type: protobuf.Type): MessagePlan {
  const options = type.options ?? {};
  const fields = type.fieldsArray.map((field): FieldPlan => {
    const raw = rawFieldRules(field);
    return Object.freeze({ field, rules: raw && parseFieldRules(raw, `${type.fullName.slice(1)}.${field.name}`) });
  });
  return Object.freeze({
    skipAll: asBool(options[DISABLED_OPTION]) || asBool(options[IGNORED_OPTION]),
    fields: Object.freeze(fields),
    requiredOneofs: Object.freeze(type.oneofsArray.filter((oneof) => asBool(oneof.options?.[REQUIRED_ONEOF_OPTION]))),
  });
}

export function messagePlan(type: protobuf.Type): MessagePlan {
  let plan = plans.get(type);
  if (!plan) {
    plan = buildPlan(type);
    plans.set(type, plan);
  }
  return plan;
}
