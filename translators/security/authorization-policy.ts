import type { Permission } from '../../protos/generated/envoy/config/rbac/v3/Permission.ts';
import type { Policy } from '../../protos/generated/envoy/config/rbac/v3/Policy.ts';
import type { Principal } from '../../protos/generated/envoy/config/rbac/v3/Principal.ts';

/** A Principal or Permission piece (the matchers both sides share are typed as both). */
type RbacMatch = Principal | Permission;
import type {
  AuthorizationAction,
  AuthorizationCondition,
  AuthorizationOperation,
  AuthorizationRule,
  AuthorizationSource,
  IstioConfig,
} from '../../model/istio/types.ts';
import {
  andIds,
  andRules,
  cidrRange,
  headerMatch,
  namespaceId,
  orIds,
  orRules,
  pathPermission,
  portNumber,
  principalId,
  wildcardMatcher,
} from './rbac-matchers.ts';
import { applicableConfigs, type WorkloadScope } from './workload-scope.ts';

/** Where the RBAC runs: a TCP chain (network filter) or an HTTP connection manager (HTTP filter). */
export type RbacTarget = 'tcp' | 'http';

/** config.rbac.v3.RBAC: action and named policies (each: OR of permissions AND OR of principals). */
export interface RbacRules {
  readonly action: 'ALLOW' | 'DENY' | 'LOG';
  readonly policies: Readonly<Record<string, Policy>>;
}

/** The RBAC of one workload, in Istio's evaluation order: audit (LOG), DENY, ALLOW. */
export interface WorkloadRbac {
  readonly audit?: RbacRules;
  readonly deny?: RbacRules;
  readonly allow?: RbacRules;
  /** Why parts of policies were not translated as written (see translateRule). */
  readonly issues: readonly string[];
}

export const AUTHZ_UNSUPPORTED = 'MESHPILOT_ERR_AUTHZ_UNSUPPORTED';

/** One field of a rule, translated: which side of the Envoy policy it belongs to, or why it cannot be. */
type Piece = { side: 'principal' | 'permission'; match: RbacMatch } | { skip: string };

/** Values of one field: OR of their matches (negated for not-fields), or a skip naming the first bad value. */
function values(
  list: readonly string[] | undefined,
  negate: boolean,
  side: 'principal' | 'permission',
  map: (v: string) => RbacMatch | string,
): Piece[] {
  if (!list || list.length === 0) return [];
  const mapped = list.map(map);
  const bad = mapped.find((m): m is string => typeof m === 'string');
  if (bad !== undefined) return [{ skip: bad }];
  const matches = mapped as RbacMatch[];
  const any = side === 'principal' ? orIds(matches) : orRules(matches);
  return [{ side, match: negate ? (side === 'principal' ? { not_id: any } : { not_rule: any }) : any }];
}

function sourcePieces(source: AuthorizationSource): Piece[] {
  const ip = (field: 'direct_remote_ip' | 'remote_ip') => (v: string) => {
    const range = cidrRange(v);
    return range ? { [field]: range } : `"${v}" is not an IP address or CIDR block`;
  };
  const jwt = (list: readonly string[] | undefined, name: string): Piece[] =>
    list && list.length > 0
      ? [{ skip: `source.${name} needs request authentication (JWT), which meshpilot does not support` }]
      : [];
  return [
    ...values(source.principals, false, 'principal', principalId),
    ...values(source.notPrincipals, true, 'principal', principalId),
    ...values(source.namespaces, false, 'principal', namespaceId),
    ...values(source.notNamespaces, true, 'principal', namespaceId),
    ...values(source.ipBlocks, false, 'principal', ip('direct_remote_ip')),
    ...values(source.notIpBlocks, true, 'principal', ip('direct_remote_ip')),
    ...values(source.remoteIpBlocks, false, 'principal', ip('remote_ip')),
    ...values(source.notRemoteIpBlocks, true, 'principal', ip('remote_ip')),
    ...jwt(source.requestPrincipals, 'requestPrincipals'),
    ...jwt(source.notRequestPrincipals, 'notRequestPrincipals'),
  ];
}

function operationPieces(operation: AuthorizationOperation, target: RbacTarget): Piece[] {
  const port = (v: string) => {
    const n = portNumber(v);
    return n === undefined ? `"${v}" is not a port number` : { destination_port: n };
  };
  const httpOnly = (
    list: readonly string[] | undefined,
    name: string,
    negate: boolean,
    map: (v: string) => RbacMatch,
  ): Piece[] => {
    if (!list || list.length === 0) return [];
    if (target === 'tcp')
      return [{ skip: `to.operation.${name} applies to HTTP only; this workload port is served as TCP` }];
    return values(list, negate, 'permission', map);
  };
  return [
    ...values(operation.ports, false, 'permission', port),
    ...values(operation.notPorts, true, 'permission', port),
    ...httpOnly(operation.methods, 'methods', false, (v) => headerMatch(':method', v)),
    ...httpOnly(operation.notMethods, 'notMethods', true, (v) => headerMatch(':method', v)),
    ...httpOnly(operation.paths, 'paths', false, pathPermission),
    ...httpOnly(operation.notPaths, 'notPaths', true, pathPermission),
    ...httpOnly(operation.hosts, 'hosts', false, (v) => headerMatch(':authority', v)),
    ...httpOnly(operation.notHosts, 'notHosts', true, (v) => headerMatch(':authority', v)),
  ];
}

const HEADER_KEY = /^request\.headers\[(.+)\]$/;

/** `when` conditions Istio maps without request authentication; the rest cannot be translated. */
function conditionPieces(condition: AuthorizationCondition, target: RbacTarget): Piece[] {
  const both = (side: 'principal' | 'permission', map: (v: string) => RbacMatch | string): Piece[] => [
    ...values(condition.values, false, side, map),
    ...values(condition.notValues, true, side, map),
  ];
  const ip = (field: string) => (v: string) => {
    const range = cidrRange(v);
    return range ? { [field]: range } : `when ${condition.key}: "${v}" is not an IP address or CIDR block`;
  };
  const header = HEADER_KEY.exec(condition.key);
  if (header) {
    if (target === 'tcp')
      return [{ skip: `when ${condition.key} applies to HTTP only; this workload port is served as TCP` }];
    return both('principal', (v) => headerMatch(header[1]!, v));
  }
  switch (condition.key) {
    case 'source.ip':
      return both('principal', ip('direct_remote_ip'));
    case 'remote.ip':
      return both('principal', ip('remote_ip'));
    case 'source.namespace':
      return both('principal', namespaceId);
    case 'source.principal':
      return both('principal', principalId);
    case 'destination.ip':
      return both('permission', ip('destination_ip'));
    case 'destination.port':
      return both('permission', (v) =>
        portNumber(v) === undefined
          ? `when destination.port: "${v}" is not a port number`
          : { destination_port: portNumber(v)! },
      );
    case 'connection.sni':
      return both('permission', (v) => ({ requested_server_name: wildcardMatcher(v) }));
    default:
      return [{ skip: `when key "${condition.key}" is not supported` }];
  }
}

/**
 * One rule → an Envoy policy, or the reasons it cannot be honoured. Istio's safe direction when a
 * field cannot apply (HTTP-only field on TCP, JWT, unsupported condition): an ALLOW rule is dropped
 * (it allows nothing), a DENY (or AUDIT) rule loses that field (it matches more). Pure.
 */
export function translateRule(
  rule: AuthorizationRule,
  action: AuthorizationAction,
  target: RbacTarget,
): { policy?: Policy; issues: string[] } {
  const issues: string[] = [];
  const keep = (pieces: Piece[], side: 'principal' | 'permission'): RbacMatch[] => {
    const out: RbacMatch[] = [];
    for (const piece of pieces) {
      if ('skip' in piece) issues.push(piece.skip);
      else if (piece.side === side) out.push(piece.match);
    }
    return out;
  };
  const sources = (rule.from ?? []).map(({ source }) => sourcePieces(source));
  const operations = (rule.to ?? []).map(({ operation }) => operationPieces(operation, target));
  const conditions = (rule.when ?? []).flatMap((c) => conditionPieces(c, target));
  const principals = [
    ...(sources.length > 0 ? [orIds(sources.map((pieces) => andIds(keep(pieces, 'principal'))))] : []),
    ...keep(conditions, 'principal'),
  ];
  const permissions = [
    ...(operations.length > 0 ? [orRules(operations.map((pieces) => andRules(keep(pieces, 'permission'))))] : []),
    ...conditions.flatMap((piece) => ('skip' in piece || piece.side !== 'permission' ? [] : [piece.match])),
  ];
  if (issues.length > 0 && action === 'ALLOW') return { issues };
  return { policy: { permissions: [andRules(permissions)], principals: [andIds(principals)] }, issues };
}

const ENVOY_ACTION = { ALLOW: 'ALLOW', DENY: 'DENY', AUDIT: 'LOG' } as const;

/**
 * The RBAC of the policies that apply to a workload (root namespace or its own, selector matching).
 * A filter exists for an action as soon as one policy of it applies: an ALLOW policy without rules
 * (or whose rules were all dropped) therefore denies everything, as in Istio. Pure.
 */
export function workloadRbac(
  policies: readonly IstioConfig<'AuthorizationPolicy'>[],
  scope: WorkloadScope,
  target: RbacTarget,
): WorkloadRbac {
  const byAction: Record<AuthorizationAction, Record<string, Policy> | undefined> = {
    ALLOW: undefined,
    DENY: undefined,
    AUDIT: undefined,
  };
  const issues: string[] = [];
  for (const policy of applicableConfigs(policies, scope)) {
    const { action } = policy.spec;
    const entries = (byAction[action] ??= {});
    (policy.spec.rules ?? []).forEach((rule, i) => {
      const name = `ns[${policy.meta.namespace}]-policy[${policy.meta.name}]-rule[${i}]`;
      const translated = translateRule(rule, action, target);
      for (const issue of translated.issues)
        issues.push(
          `${AUTHZ_UNSUPPORTED}: AuthorizationPolicy ${policy.meta.namespace}/${policy.meta.name} rules[${i}] (${action}): ${issue}${action === 'ALLOW' ? '; rule dropped' : '; condition ignored, the rule matches more'}`,
        );
      if (translated.policy) entries[name] = translated.policy;
    });
  }
  const rules = (action: AuthorizationAction): RbacRules | undefined => {
    const policiesOf = byAction[action];
    return policiesOf === undefined ? undefined : { action: ENVOY_ACTION[action], policies: policiesOf };
  };
  const audit = rules('AUDIT');
  const deny = rules('DENY');
  const allow = rules('ALLOW');
  return { ...(audit ? { audit } : {}), ...(deny ? { deny } : {}), ...(allow ? { allow } : {}), issues };
}

/**
 * What meshpilot cannot honour as written in one policy, on HTTP (proxyless gRPC) and on TCP
 * (sidecar chains), each message with MESHPILOT_ERR_AUTHZ_UNSUPPORTED: for the config layer to log
 * once and show on /debug/configz (translators stay pure and do not log). Pure.
 */
export function authorizationPolicyIssues(policy: IstioConfig<'AuthorizationPolicy'>): string[] {
  const scope = {
    namespace: policy.meta.namespace,
    labels: policy.spec.selector?.matchLabels ?? {},
    rootNamespace: policy.meta.namespace,
  };
  const issues = (target: RbacTarget) =>
    workloadRbac([policy], scope, target).issues.map(
      (issue) => `${issue} [${target === 'tcp' ? 'sidecar TCP chains' : 'proxyless gRPC'}]`,
    );
  return [...issues('http'), ...issues('tcp')];
}
