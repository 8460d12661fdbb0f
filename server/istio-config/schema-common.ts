import { isIP } from 'node:net';
import { z } from 'zod';
import type { StringMatch } from '../../model/istio/types.ts';
import { parseDurationMs } from './duration.ts';

// Building blocks shared by the per-kind schemas. Every object is strict (unknown keys are errors,
// with a "did you mean" from zod-issues.ts), as Istio's CRD schemas are. Custom issues carry the
// path of the field they are about, so messages read `spec.http[0].route[1].weight: ...`.

export const IstioConfigErrorCode = {
  invalid: 'MESHPILOT_ERR_ISTIO_CONFIG_INVALID',
  unsupported: 'MESHPILOT_ERR_ISTIO_CONFIG_UNSUPPORTED',
  duplicate: 'MESHPILOT_ERR_ISTIO_CONFIG_DUPLICATE',
  apiVersion: 'MESHPILOT_ERR_ISTIO_CONFIG_API_VERSION',
} as const;

type Segments = readonly PropertyKey[];

export function issue(ctx: z.RefinementCtx, path: Segments, message: string): void {
  ctx.addIssue({ code: 'custom', message, path: [...path] });
}

/** The protocol names Istio's protocol.Parse knows, for Gateway server and ServiceEntry ports (case-insensitive). */
export const PORT_PROTOCOLS: ReadonlySet<string> = new Set([
  'HTTP',
  'HTTPS',
  'HTTP2',
  'GRPC',
  'GRPC-WEB',
  'MONGO',
  'REDIS',
  'MYSQL',
  'TCP',
  'TLS',
  'UDP',
]);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

function isWildcardDnsLabel(value: string): boolean {
  return value === '*' || (value.startsWith('*') ? isDnsLabel(`a${value.slice(1)}`) : isDnsLabel(value));
}

/** Istio's ValidateWildcardDomain: DNS-1123 labels, a wildcard only in the first label. Undefined = valid. */
export function wildcardDomainProblem(host: string): string | undefined {
  if (host === '') return 'must not be empty';
  if (host.length > 255) return `domain name is longer than 255 characters`;
  const labels = host.split('.');
  const last = labels.at(-1) ?? '';
  if (labels.length > 1 && /^\d+$/.test(last))
    return `domain name ${JSON.stringify(host)} is invalid: the top-level domain ${JSON.stringify(last)} cannot be all digits`;
  for (const [index, label] of labels.entries()) {
    if (index === labels.length - 1 && label === '' && index > 0) break;
    const ok = index === 0 ? isWildcardDnsLabel(label) : isDnsLabel(label);
    if (!ok)
      return `domain name ${JSON.stringify(host)} is invalid: label ${JSON.stringify(label)} is not a lowercase DNS-1123 label${label.includes('*') && index > 0 ? ' (a wildcard is allowed only in the first label)' : ''}`;
  }
  return undefined;
}

/** A lowercase Kubernetes-style name ("reviews", "my-ns"). */
export const dnsLabel = z
  .string()
  .refine(isDnsLabel, 'expected a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters');

export const hostname = z.string().superRefine((value, ctx) => {
  const problem = wildcardDomainProblem(value);
  if (problem !== undefined) issue(ctx, [], problem);
});

export const port = z.number().int().min(1).max(65535);
export const nonNegativeInt = z.number().int().min(0).max(2_147_483_647);
export const weight = z.number().int().min(0).max(100);

/** Kubernetes label map: keys `prefix/name`, values up to 63 characters; no wildcards (Istio refuses them in selectors). */
export const labels = z.record(z.string(), z.string()).superRefine((map, ctx) => {
  for (const [key, value] of Object.entries(map)) {
    const slash = key.lastIndexOf('/');
    const prefix = slash === -1 ? undefined : key.slice(0, slash);
    const name = slash === -1 ? key : key.slice(slash + 1);
    const prefixOk = prefix === undefined || (prefix.length <= 253 && prefix.split('.').every(isDnsLabel));
    if (key === '' || !prefixOk || name.length > 63 || !LABEL_NAME.test(name)) {
      issue(
        ctx,
        [key],
        `invalid label key ${JSON.stringify(key)}: expected [prefix/]name, name of letters, digits, "-", "_", "." (at most 63)`,
      );
    }
    if (value.length > 63 || !LABEL_VALUE.test(value))
      issue(
        ctx,
        [key],
        `invalid label value ${JSON.stringify(value)}: letters, digits, "-", "_", ".", at most 63, starting and ending alphanumeric`,
      );
  }
});

/** security.istio.io / telemetry.istio.io selector. */
export const workloadSelector = z.strictObject({ matchLabels: labels.default({}) });

/** Durations ("1.5s", "100ms", "5m") parsed to milliseconds; at least `minMs` (Istio: 1ms). */
export function duration(minMs = 1) {
  return z.string().transform((text, ctx): number => {
    const parsed = parseDurationMs(text);
    if (!parsed.ok) {
      issue(ctx, [], parsed.message);
      return z.NEVER;
    }
    if (parsed.ms < minMs) {
      issue(ctx, [], `must be at least ${minMs}ms, got ${JSON.stringify(text)}`);
      return z.NEVER;
    }
    return parsed.ms;
  });
}

/** Istio's Percent: 0, or 0.0001..100. */
export const percent = z.strictObject({ value: z.number().min(0).max(100) }).superRefine((p, ctx) => {
  if (p.value > 0 && p.value < 0.0001) issue(ctx, ['value'], `must be 0 or within 0.0001..100, got ${p.value}`);
});

/** Compiles as JavaScript after mapping RE2's `(?P<name>` groups; lookaround and backreferences (not in RE2) are refused. */
export function re2Problem(source: string): string | undefined {
  if (/\(\?<?[=!]/.test(source))
    return `regex ${JSON.stringify(source)} uses lookahead or lookbehind, which RE2 (Envoy's regex engine) does not support`;
  if (/(^|[^\\])(\\\\)*\\[1-9]/.test(source))
    return `regex ${JSON.stringify(source)} uses a backreference, which RE2 (Envoy's regex engine) does not support`;
  try {
    new RegExp(source.replaceAll('(?P<', '(?<'));
    return undefined;
  } catch (error: unknown) {
    return `regex ${JSON.stringify(source)} does not compile: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export const stringMatch = z
  .strictObject({ exact: z.string().optional(), prefix: z.string().optional(), regex: z.string().optional() })
  .transform((m, ctx): StringMatch => {
    const set = (['exact', 'prefix', 'regex'] as const).filter((key) => m[key] !== undefined);
    if (set.length !== 1) {
      issue(
        ctx,
        [],
        `needs exactly one of "exact", "prefix" or "regex", got ${set.length === 0 ? 'none' : set.map((k) => `"${k}"`).join(' and ')}`,
      );
      return z.NEVER;
    }
    if (m.exact !== undefined) return { exact: m.exact };
    if (m.prefix !== undefined) return { prefix: m.prefix };
    const problem = re2Problem(m.regex ?? '');
    if (problem !== undefined) {
      issue(ctx, ['regex'], problem);
      return z.NEVER;
    }
    return { regex: m.regex ?? '' };
  });

/** An IP address or CIDR block (Istio's ValidateIPSubnet). */
export function ipOrCidrProblem(value: string): string | undefined {
  const [address = '', bits, extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined)
    return `expected an IP address or CIDR block like "10.0.0.0/16", got ${JSON.stringify(value)}`;
  if (bits === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (!/^\d+$/.test(bits) || Number(bits) > max)
    return `CIDR prefix length must be 0..${max}, got ${JSON.stringify(value)}`;
  return undefined;
}

export const ipOrCidr = z.string().superRefine((value, ctx) => {
  const problem = ipOrCidrProblem(value);
  if (problem !== undefined) issue(ctx, [], problem);
});

/** Istio's exportTo: ".", "*", namespaces (and "~" for ServiceEntry); no duplicates; "*" stands alone. */
export function exportTo(allowNone: boolean) {
  return z.array(z.string()).superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      const ok = entry === '.' || entry === '*' || (allowNone && entry === '~') || isDnsLabel(entry);
      if (!ok)
        issue(
          ctx,
          [index],
          `expected ".", "*"${allowNone ? ', "~"' : ''} or a namespace name, got ${JSON.stringify(entry)}`,
        );
      if (seen.has(entry)) issue(ctx, [index], `duplicate entry ${JSON.stringify(entry)}`);
      seen.add(entry);
    });
    if (entries.length > 1 && (seen.has('*') || seen.has('~')))
      issue(ctx, [], `"*" and "~" cannot be combined with other entries`);
  });
}

/** A field Istio has and meshpilot does not implement: refusing it beats silently routing differently. */
export function unsupported(what: string) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      if (value !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: `${what} is not supported by meshpilot yet (${IstioConfigErrorCode.unsupported})`,
        });
    })
    .optional();
}

/** A field Istio has that does not change where traffic goes or who may send it; accepted and dropped. */
export const ignored = z.unknown().optional();

/** Drops the keys of `ignored`/`unsupported` fields from a parsed object. */
export function without<T extends object, K extends string>(value: T, keys: readonly K[]): Omit<T, K> {
  const copy = { ...value } as Record<string, unknown>;
  for (const key of keys) delete copy[key];
  return copy as Omit<T, K>;
}

/** Removes keys whose value is undefined, so optional fields are absent rather than undefined. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
