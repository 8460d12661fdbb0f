/**
 * The `validate.rules` of one field (protoc-gen-validate's FieldRules), normalized once from the
 * protobufjs options into typed, frozen data. Field names follow validate.proto in camelCase.
 */

export interface RuleViolation {
  /** Where in the message, e.g. `load_assignment.endpoints[0].lb_endpoints[1].load_balancing_weight.value`. */
  readonly path: string;
  /**
   * The rule that failed as written in validate.proto, e.g. `uint32.gte`, `repeated.items.string.min_len`;
   * besides those: `oneof.required` ((validate.required) on a oneof), `duration` / `timestamp` (not a
   * valid value), `any.decode` / `any.known_type` (packed bytes), `decode` (resource bytes).
   */
  readonly rule: string;
  readonly message: string;
}

/** A failed rule before the walker gives it a path and a prefix (`repeated.items.`, `map.keys.` …). */
export interface Failure {
  readonly rule: string;
  readonly message: string;
}

/** const / lt / lte / gt / gte / in / not_in over a totally ordered value (numbers, or nanoseconds as bigint). */
export interface RangeRules<T extends number | bigint> {
  readonly const?: T;
  readonly lt?: T;
  readonly lte?: T;
  readonly gt?: T;
  readonly gte?: T;
  readonly in: readonly T[];
  readonly notIn: readonly T[];
}

export const NUMBER_FAMILIES = ['float', 'double', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32'] as const;
export const BIGINT_FAMILIES = ['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'] as const;
export type NumberFamily = (typeof NUMBER_FAMILIES)[number];
export type BigintFamily = (typeof BIGINT_FAMILIES)[number];

export interface NumberRules {
  readonly kind: 'number';
  readonly family: NumberFamily;
  readonly range: RangeRules<number>;
  readonly ignoreEmpty: boolean;
}

export interface BigintRules {
  readonly kind: 'bigint';
  readonly family: BigintFamily;
  readonly range: RangeRules<bigint>;
  readonly ignoreEmpty: boolean;
}

export interface BoolRules {
  readonly kind: 'bool';
  readonly const?: boolean;
}

/** The checks PGV calls `well_known`, plus the header regexes chosen by `well_known_regex` + `strict`. */
export type WellKnownString =
  'hostname' | 'ip' | 'ipv4' | 'ipv6' | 'address' | 'uuid' | 'http_header_name' | 'http_header_value' | 'header_string';

export interface CompiledPattern {
  readonly source: string;
  readonly regex: RegExp;
}

export interface StringRules {
  readonly kind: 'string';
  readonly const?: string;
  readonly len?: number;
  readonly minLen?: number;
  readonly maxLen?: number;
  readonly lenBytes?: number;
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly pattern?: CompiledPattern;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly contains?: string;
  readonly notContains?: string;
  readonly in: readonly string[];
  readonly notIn: readonly string[];
  /** The rule name to report (`string.hostname`, `string.well_known_regex` …) and the check. */
  readonly wellKnown?: { readonly rule: string; readonly check: WellKnownString };
  readonly ignoreEmpty: boolean;
}

export interface BytesRules {
  readonly kind: 'bytes';
  readonly const?: Uint8Array;
  readonly len?: number;
  readonly minLen?: number;
  readonly maxLen?: number;
  readonly pattern?: CompiledPattern;
  readonly prefix?: Uint8Array;
  readonly suffix?: Uint8Array;
  readonly contains?: Uint8Array;
  readonly in: readonly Uint8Array[];
  readonly notIn: readonly Uint8Array[];
  readonly ip?: 'ip' | 'ipv4' | 'ipv6';
  readonly ignoreEmpty: boolean;
}

export interface EnumRules {
  readonly kind: 'enum';
  readonly const?: number;
  readonly definedOnly: boolean;
  readonly in: readonly number[];
  readonly notIn: readonly number[];
}

export interface RepeatedRules {
  readonly kind: 'repeated';
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly unique: boolean;
  readonly items?: FieldRules;
  readonly ignoreEmpty: boolean;
}

export interface MapRules {
  readonly kind: 'map';
  readonly minPairs?: number;
  readonly maxPairs?: number;
  readonly noSparse: boolean;
  readonly keys?: FieldRules;
  readonly values?: FieldRules;
  readonly ignoreEmpty: boolean;
}

export interface AnyRules {
  readonly kind: 'any';
  readonly required: boolean;
  readonly in: readonly string[];
  readonly notIn: readonly string[];
}

/** Duration and Timestamp rules, with every bound in nanoseconds (Timestamp: since the epoch). */
export interface TimeRules {
  readonly kind: 'duration' | 'timestamp';
  readonly required: boolean;
  readonly range: RangeRules<bigint>;
}

export type TypeRules =
  | NumberRules
  | BigintRules
  | BoolRules
  | StringRules
  | BytesRules
  | EnumRules
  | RepeatedRules
  | MapRules
  | AnyRules
  | TimeRules;

export interface MessageRules {
  readonly skip: boolean;
  readonly required: boolean;
}

export interface FieldRules {
  readonly message?: MessageRules;
  readonly type?: TypeRules;
}
