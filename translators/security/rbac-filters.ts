import { typedConfig } from '../common/typed-config.ts';
import type { Filter, HttpFilter } from '../resource.ts';
import type { RbacRules, WorkloadRbac } from './authorization-policy.ts';

const NETWORK_RBAC = 'envoy.extensions.filters.network.rbac.v3.RBAC' as const;
const HTTP_RBAC = 'envoy.extensions.filters.http.rbac.v3.RBAC' as const;

function ordered(rbac: WorkloadRbac, withAudit: boolean): { suffix: string; rules: RbacRules }[] {
  return [
    ...(withAudit && rbac.audit ? [{ suffix: 'audit', rules: rbac.audit }] : []),
    ...(rbac.deny ? [{ suffix: 'deny', rules: rbac.deny }] : []),
    ...(rbac.allow ? [{ suffix: 'allow', rules: rbac.allow }] : []),
  ];
}

/** `envoy.filters.network.rbac` filters for a TCP chain, before its tcp_proxy: AUDIT, DENY, ALLOW (Istio's order). */
export function networkRbacFilters(rbac: WorkloadRbac): Filter[] {
  return ordered(rbac, true).map(({ suffix, rules }) => ({
    name: `envoy.filters.network.rbac.${suffix}`,
    typed_config: typedConfig(NETWORK_RBAC, { rules, stat_prefix: 'tcp.' }),
  }));
}

/**
 * `envoy.filters.http.rbac` filters for an HTTP connection manager, before the router. For
 * proxyless gRPC (`forGrpc`) AUDIT is left out (gRPC rejects the LOG action) and the names stay
 * distinct (gRPC rejects duplicate filter names). A proxyless server NACKs them unless started
 * with GRPC_XDS_EXPERIMENTAL_RBAC=true (it never ignores them): a new server then does not serve,
 * a running one keeps its last accepted Listener.
 */
export function httpRbacFilters(rbac: WorkloadRbac, forGrpc: boolean): HttpFilter[] {
  return ordered(rbac, !forGrpc).map(({ suffix, rules }) => ({
    name: `envoy.filters.http.rbac.${suffix}`,
    typed_config: typedConfig(HTTP_RBAC, { rules }),
  }));
}
