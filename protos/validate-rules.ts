/**
 * Checks Envoy resources against the protoc-gen-validate `validate.rules` annotations of the
 * data-plane-api protos, as Envoy's generated validators do on receipt (PGV semantics: a proto3
 * scalar's default counts as its value, so `min_len: 1` fails on ''; rules on a wrapper field apply
 * to `.value` when the wrapper is set; message rules other than `required` apply only when set;
 * oneof members are checked only when they are the case that is set).
 *
 * Beyond PGV, which stops at google.protobuf.Any, packed messages are decoded and checked too, with
 * paths running through the Any field (`filter_chains[0].filters[0].typed_config.stat_prefix`), the
 * way Envoy checks a typed_config when it builds the extension. An Any whose type is not in the
 * loaded protos is skipped unchecked, not reported, unless `reportUnknownAny` is set.
 * Rule kinds not checked are listed, with reasons, in IGNORED_RULE_KINDS (validate/rule-kinds.ts).
 */
import protobuf from 'protobufjs';
import { protoRoot } from './load.ts';
import { messageNameOf } from './type-urls.ts';
import type { RuleViolation } from './validate/rule-types.ts';
import { walkMessage, type MessageLike, type WalkContext } from './validate/walker.ts';

export type { RuleViolation } from './validate/rule-types.ts';
export { IGNORED_RULE_KINDS, SUPPORTED_RULE_KINDS } from './validate/rule-kinds.ts';

export interface ValidateOptions {
  /** Report an Any whose type is not among the loaded protos as `any.known_type` (default: skip it). */
  readonly reportUnknownAny?: boolean;
}

/** The input is not a message of the named type at all (unknown type name, or a value of the wrong shape). */
export class ValidationInputError extends Error {
  readonly code = 'MESHPILOT_ERR_VALIDATE_INPUT';
}

function lookup(fullTypeName: string): protobuf.Type {
  const name = messageNameOf(fullTypeName);
  const found = protoRoot().lookup(name.startsWith('.') ? name : `.${name}`);
  if (!(found instanceof protobuf.Type)) {
    throw new ValidationInputError(`cannot validate ${fullTypeName}: no such message type among the loaded protos`);
  }
  return found;
}

function run(type: protobuf.Type, message: MessageLike, options: ValidateOptions): RuleViolation[] {
  const context: WalkContext = { violations: [], reportUnknownAny: options.reportUnknownAny ?? false };
  walkMessage(context, type, message, '');
  return context.violations;
}

/**
 * Validates a message of the given type (full name, or a type URL), recursing into nested messages,
 * repeated and map fields and Any. `message` is a protobufjs message instance or a plain object in
 * proto field naming, as `decodeMessage` returns and `encodeMessage` takes (nested Any as
 * `{'@type': url, ...}`); a plain object is read the way protobufjs `fromObject` reads it, so an
 * enum name it does not know becomes the default, as it would when encoded.
 */
export function validateMessage(fullTypeName: string, message: object, options: ValidateOptions = {}): RuleViolation[] {
  const type = lookup(fullTypeName);
  let instance: protobuf.Message;
  try {
    instance = type.fromObject(message);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ValidationInputError(`cannot validate ${fullTypeName}: the value is not such a message: ${reason}`);
  }
  return run(type, instance as unknown as MessageLike, options);
}

/**
 * Validates encoded resource bytes (e.g. what the cache holds) without re-encoding. Bytes that do
 * not decode are one violation with rule `decode`.
 */
export function validateResourceBytes(
  typeUrl: string,
  bytes: Uint8Array,
  options: ValidateOptions = {},
): RuleViolation[] {
  const type = lookup(typeUrl);
  let decoded: protobuf.Message;
  try {
    decoded = type.decode(bytes);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    return [{ path: '', rule: 'decode', message: `cannot decode ${messageNameOf(typeUrl)}: ${reason}` }];
  }
  return run(type, decoded as unknown as MessageLike, options);
}

/** One line per violation: `<path>: <message> [<rule>]` (the message itself has path `(message)`). */
export function formatViolations(violations: readonly RuleViolation[]): string {
  return violations
    .map((violation) => `${violation.path || '(message)'}: ${violation.message} [${violation.rule}]`)
    .join('\n');
}
