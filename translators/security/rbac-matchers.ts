import type { Permission } from '../../protos/generated/envoy/config/rbac/v3/Permission.ts';
import type { Principal } from '../../protos/generated/envoy/config/rbac/v3/Principal.ts';
import type { CidrRange } from '../../protos/generated/envoy/config/core/v3/CidrRange.ts';
import type { StringMatcher } from '../../protos/generated/envoy/type/matcher/v3/StringMatcher.ts';

/**
 * Istio AuthorizationPolicy values → Envoy config.rbac.v3 Principal / Permission pieces, as Istio's
 * authz builder maps them. Values may use Istio's single `*` wildcard: `*`, `prefix*`, `*suffix`.
 */

/** A StringMatcher for an Istio value with wildcard; `*` alone is the caller's "anything" case. */
export function wildcardMatcher(value: string, transform: (v: string) => string = (v) => v): StringMatcher {
  if (value.endsWith('*')) return { prefix: transform(value.slice(0, -1)) };
  if (value.startsWith('*')) return { suffix: value.slice(1) };
  return { exact: transform(value) };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Peer identity (mTLS URI SAN). Principals are written without `spiffe://`, as in Istio. */
export function principalId(value: string): Principal {
  if (value === '*') return { authenticated: { principal_name: { safe_regex: { regex: '.+' } } } };
  return { authenticated: { principal_name: wildcardMatcher(value, (v) => `spiffe://${v}`) } };
}

/** Source namespace: Istio's regex on the peer principal (any trust domain, then `/ns/<ns>/`). */
export function namespaceId(value: string): Principal {
  const ns =
    value === '*'
      ? '.+'
      : value.endsWith('*')
        ? `${escapeRegex(value.slice(0, -1))}.*`
        : value.startsWith('*')
          ? `.*${escapeRegex(value.slice(1))}`
          : escapeRegex(value);
  return { authenticated: { principal_name: { safe_regex: { regex: `.*/ns/${ns}/.*` } } } };
}

/** `1.2.3.4` or `10.0.0.0/8` (IPv6 too) → CidrRange; undefined when it is neither. */
export function cidrRange(value: string): CidrRange | undefined {
  const [address, prefix, ...rest] = value.split('/');
  if (address === undefined || rest.length > 0) return undefined;
  const v6 = address.includes(':');
  if (!v6 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return undefined;
  if (v6 && !/^[0-9a-fA-F:.]+$/.test(address)) return undefined;
  const max = v6 ? 128 : 32;
  const length = prefix === undefined ? max : Number(prefix);
  if (!Number.isInteger(length) || length < 0 || length > max) return undefined;
  return { address_prefix: address, prefix_len: { value: length } };
}

export function portNumber(value: string): number | undefined {
  const port = Number(value);
  return /^\d+$/.test(value) && port >= 1 && port <= 65535 ? port : undefined;
}

export function pathPermission(value: string): Permission {
  if (value === '*') return { any: true };
  return { url_path: { path: wildcardMatcher(value) } };
}

export function headerMatch(name: string, value: string): Principal & Permission {
  if (value === '*') return { header: { name, present_match: true } };
  return { header: { name, string_match: wildcardMatcher(value) } };
}

export const anyPrincipal: Principal = { any: true };
export const anyPermission: Permission = { any: true };

export function orIds(ids: readonly Principal[]): Principal {
  return ids.length === 1 ? ids[0]! : { or_ids: { ids: [...ids] } };
}

export function andIds(ids: readonly Principal[]): Principal {
  if (ids.length === 0) return anyPrincipal;
  return ids.length === 1 ? ids[0]! : { and_ids: { ids: [...ids] } };
}

export function orRules(rules: readonly Permission[]): Permission {
  return rules.length === 1 ? rules[0]! : { or_rules: { rules: [...rules] } };
}

export function andRules(rules: readonly Permission[]): Permission {
  if (rules.length === 0) return anyPermission;
  return rules.length === 1 ? rules[0]! : { and_rules: { rules: [...rules] } };
}
