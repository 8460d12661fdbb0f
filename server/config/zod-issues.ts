import { z } from 'zod';
import { ConfigErrorCode, describeValue } from './config-error.ts';

/** A problem at a path given as segments; load.ts formats the path and adds the YAML line. */
export type PathIssue = { segments: readonly PropertyKey[]; message: string; code: string };

const EXPECTED_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
};

export function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** The keys a strict object accepts at `segments`, found by walking the schema (wrappers unwrapped). */
function allowedKeysAt(schema: z.ZodType, segments: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  let index = 0;
  for (let guard = 0; node !== undefined && guard < 100; guard += 1) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodPrefault) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      node = node.in as z.ZodType;
    } else if (index === segments.length) {
      return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
    } else if (node instanceof z.ZodObject) {
      node = node.shape[String(segments[index])] as z.ZodType | undefined;
      index += 1;
    } else if (node instanceof z.ZodArray || node instanceof z.ZodRecord) {
      node = (node instanceof z.ZodArray ? node.element : node.valueType) as z.ZodType;
      index += 1;
    } else {
      return [];
    }
  }
  return [];
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(key: string, allowed: readonly string[]): string {
  const close = allowed.find(
    (candidate) => candidate.toLowerCase() === key.toLowerCase() || editDistance(candidate, key) <= 2,
  );
  return close === undefined ? '' : ` (did you mean "${close}"?)`;
}

function unknownKeyIssues(issue: z.core.$ZodIssueUnrecognizedKeys, schema: z.ZodType): PathIssue[] {
  const allowed = allowedKeysAt(schema, issue.path);
  const expected = allowed.length > 0 ? `; expected one of: ${allowed.join(', ')}` : '';
  return issue.keys.map((key) => ({
    segments: [...issue.path, key],
    message: `unknown key "${key}"${suggestion(key, allowed)}${expected}`,
    code: ConfigErrorCode.unknownKey,
  }));
}

function boundMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, value: unknown): string {
  const small = issue.code === 'too_small';
  const limit = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  const inclusive = issue.inclusive !== false;
  const got = `, got ${describeValue(value)}`;
  if (issue.origin === 'string' && small && Number(limit) === 1) return 'must not be empty';
  if (issue.origin === 'string') return `must have ${small ? 'at least' : 'at most'} ${String(limit)} characters${got}`;
  if (issue.origin === 'array') return `must have ${small ? 'at least' : 'at most'} ${String(limit)} items`;
  const operator = small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  return `must be ${operator} ${String(limit)}${got}`;
}

function customCode(issue: z.core.$ZodIssue): string {
  const code = issue.code === 'custom' ? issue.params?.['code'] : undefined;
  return typeof code === 'string' ? code : ConfigErrorCode.invalidValue;
}

/** Turns zod issues into messages that say what is wrong and what is expected, one per problem. */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[], raw: unknown, schema: z.ZodType): PathIssue[] {
  return issues.flatMap((issue): PathIssue[] => {
    const value = valueAt(raw, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        return unknownKeyIssues(issue, schema);
      case 'invalid_type': {
        const expected = EXPECTED_WORDS[issue.expected] ?? issue.expected;
        if (value === undefined)
          return [{ segments: issue.path, message: `required: expected ${expected}`, code: ConfigErrorCode.required }];
        return [
          {
            segments: issue.path,
            message: `expected ${expected}, got ${describeValue(value)}`,
            code: ConfigErrorCode.invalidType,
          },
        ];
      }
      case 'too_small':
      case 'too_big':
        return [{ segments: issue.path, message: boundMessage(issue, value), code: ConfigErrorCode.invalidValue }];
      case 'invalid_value': {
        const options = issue.values.map((v) => JSON.stringify(v)).join(', ');
        return [
          {
            segments: issue.path,
            message: `expected one of ${options}; got ${describeValue(value)}`,
            code: ConfigErrorCode.invalidValue,
          },
        ];
      }
      case 'invalid_union':
        return [
          {
            segments: issue.path,
            message: `${issue.message}; got ${describeValue(value)}`,
            code: ConfigErrorCode.invalidValue,
          },
        ];
      default:
        return [{ segments: issue.path, message: issue.message, code: customCode(issue) }];
    }
  });
}
