import { duration } from '../../protos/any.ts';
import type { Route } from '../../protos/generated/envoy/config/route/v3/Route.ts';
import type { RouteAction } from '../../protos/generated/envoy/config/route/v3/RouteAction.ts';
import type { RouteMatch } from '../../protos/generated/envoy/config/route/v3/RouteMatch.ts';
import type { HeaderMatcher } from '../../protos/generated/envoy/config/route/v3/HeaderMatcher.ts';
import type { StringMatcher } from '../../protos/generated/envoy/type/matcher/v3/StringMatcher.ts';
import type { HTTPMatchRequest, HTTPRoute, StringMatch } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import { outboundClusterName } from '../common/names.ts';
import { filterMetadata } from '../common/struct.ts';
import { defaultRetryPolicy, virtualServiceRetryPolicy } from './retry.ts';
import { destinationRuleFor, effectivePolicy } from './destination-rule.ts';
import { faultPerFilterConfig } from './fault.ts';
import { hashPolicy } from './load-balancer.ts';
import { destinationCluster, virtualServiceFor, type VirtualService } from './virtual-service.ts';

/**
 * Istio disables Envoy's 15 s route timeout and lets grpc-timeout headers through unbounded, with the
 * deprecated max_grpc_timeout as Istio's setTimeout does for Envoy ("the replacement MaxStreamDuration
 * has some regressions"); proxyless gRPC reads max_stream_duration instead (see timeouts).
 */
export const NO_TIMEOUTS: RouteAction = {
  timeout: {},
  max_grpc_timeout: {},
};

export interface RouteTarget {
  readonly snapshot: MeshSnapshot;
  readonly view: ProxyView;
  readonly service: MeshService;
  readonly port: number;
  /** The virtual host's name, for Envoy's decorator (`<fqdn>:<port>/*`). */
  readonly vhostName: string;
}

function stringMatcher(match: StringMatch): StringMatcher {
  if ('exact' in match) return { exact: match.exact };
  if ('prefix' in match) return { prefix: match.prefix };
  return { safe_regex: { regex: match.regex } };
}

function headerMatcher(name: string, match: StringMatch, invert = false): HeaderMatcher {
  return { name: name.toLowerCase(), string_match: stringMatcher(match), ...(invert ? { invert_match: true } : {}) };
}

export function routeMatch(match: HTTPMatchRequest | undefined): RouteMatch {
  const uri = match?.uri;
  const path = !uri
    ? { prefix: '/' }
    : 'exact' in uri
      ? { path: uri.exact }
      : 'prefix' in uri
        ? { prefix: uri.prefix }
        : { safe_regex: { regex: uri.regex } };
  const headers: HeaderMatcher[] = [];
  if (match?.method) headers.push(headerMatcher(':method', match.method));
  if (match?.authority) headers.push(headerMatcher(':authority', match.authority));
  if (match?.scheme) headers.push(headerMatcher(':scheme', match.scheme));
  for (const [name, value] of Object.entries(match?.headers ?? {})) headers.push(headerMatcher(name, value));
  for (const [name, value] of Object.entries(match?.withoutHeaders ?? {}))
    headers.push(headerMatcher(name, value, true));
  const query = Object.entries(match?.queryParams ?? {}).map(([name, value]) => ({
    name,
    string_match: stringMatcher(value),
  }));
  return {
    ...path,
    // As Istio's TranslateRouteMatch: every match states case_sensitive (false with ignoreUriCase).
    ...(match ? { case_sensitive: { value: match.ignoreUriCase !== true } } : {}),
    ...(headers.length > 0 ? { headers } : {}),
    ...(query.length > 0 ? { query_parameters: query } : {}),
  };
}

/**
 * Whether a match can apply to this proxy and port. sourceLabels need the proxy's pod labels,
 * which a view does not carry: such matches are left out (never applied) rather than applied to all.
 */
function matchApplies(match: HTTPMatchRequest | undefined, target: RouteTarget): boolean {
  if (!match) return true;
  if (match.port !== undefined && match.port !== target.port) return false;
  if (match.sourceNamespace !== undefined && match.sourceNamespace !== target.view.namespace) return false;
  if (match.sourceLabels !== undefined && Object.keys(match.sourceLabels).length > 0) return false;
  if (match.gateways && match.gateways.length > 0 && !match.gateways.includes('mesh')) return false;
  return true;
}

/** Consistent-hash routing of the destination's DestinationRule (port and subset level included). */
function destinationHashPolicy(
  target: ActionTarget,
  hostname: string,
  port: number,
  subsetName: string | undefined,
): NonNullable<RouteAction['hash_policy']> {
  const service = target.snapshot.services.get(hostname);
  if (!service) return [];
  const rule = destinationRuleFor(
    target.snapshot.istioConfig,
    service,
    target.view.namespace,
    target.snapshot.domainSuffix,
  );
  const subset = subsetName ? rule?.spec.subsets?.find((s) => s.name === subsetName) : undefined;
  return hashPolicy(effectivePolicy(rule, port, subset).loadBalancer);
}

/** Weights as Istio requires them (sum 100); absent weights = an equal split, the remainder to the first ones. */
function weighted(
  destinations: readonly { cluster: string; weight?: number }[],
): { cluster: string; weight: number }[] {
  if (destinations.every((d) => d.weight === undefined)) {
    const base = Math.floor(100 / destinations.length);
    const remainder = 100 - base * destinations.length;
    return destinations.map((d, i) => ({ cluster: d.cluster, weight: base + (i < remainder ? 1 : 0) }));
  }
  return destinations.filter((d) => (d.weight ?? 0) > 0).map((d) => ({ cluster: d.cluster, weight: d.weight! }));
}

function timeouts(timeoutMs: number | undefined, target: ActionTarget): RouteAction {
  if (timeoutMs === undefined || timeoutMs === 0) return target.view.generator === 'grpc' ? {} : NO_TIMEOUTS;
  const d = duration(timeoutMs);
  return target.view.generator === 'grpc'
    ? { max_stream_duration: { max_stream_duration: d, grpc_timeout_header_max: d } }
    : { timeout: d, max_grpc_timeout: d };
}

/** What a route action depends on: the proxy, and the port being routed (a destination's default port). */
export type ActionTarget = Pick<RouteTarget, 'snapshot' | 'view' | 'port'>;

/** A VirtualService http route's action (clusters, weights, timeouts, retries, hash policy); undefined when no destination resolves. */
export function routeAction(vs: VirtualService, http: HTTPRoute, target: ActionTarget): RouteAction | undefined {
  const resolved = http.route.flatMap((d) => {
    const found = destinationCluster(target.snapshot, vs, d.destination, target.port);
    return found
      ? [{ ...found, ...(d.weight !== undefined ? { weight: d.weight } : {}), destination: d.destination }]
      : [];
  });
  if (resolved.length === 0) return undefined;
  const clusters = weighted(resolved);
  if (clusters.length === 0) return undefined;
  const first = resolved[0]!;
  const firstPort = first.destination.port?.number ?? target.port;
  const hash = destinationHashPolicy(target, first.hostname, firstPort, first.destination.subset);
  // As Istio: a route to one destination that hashes consistently retries without the previous-hosts predicate.
  const retry = virtualServiceRetryPolicy(http.retries, http.route.length === 1 && hash.length > 0);
  return {
    ...(clusters.length === 1
      ? { cluster: clusters[0]!.cluster }
      : { weighted_clusters: { clusters: clusters.map((c) => ({ name: c.cluster, weight: { value: c.weight } })) } }),
    ...timeouts(http.timeout, target),
    ...(retry ? { retry_policy: retry } : {}),
    ...(hash.length > 0 ? { hash_policy: hash } : {}),
  };
}

/**
 * The routes of one service port's virtual host: a VirtualService's http routes in order (one
 * Envoy route per match; matches with another port, another source namespace, sourceLabels or
 * only non-mesh gateways left out) — with weighted clusters across subsets, retries replacing the
 * default policy, timeouts (Envoy: route timeout and max_grpc_timeout, as Istio; gRPC: max_stream_duration) and fault
 * injection per route — or, with no VirtualService, the default route to `outbound|<port>||<fqdn>`.
 * Requests matching no VirtualService route get no route (404 / UNIMPLEMENTED), as in Istio. Pure.
 */
export function serviceRoutes(target: RouteTarget): Route[] {
  const { snapshot, view, service, port } = target;
  const vs = virtualServiceFor(snapshot.istioConfig, service, view.namespace, snapshot.domainSuffix);
  const envoy = view.generator !== 'grpc';
  const decorator = envoy ? { decorator: { operation: `${target.vhostName}/*` } } : {};
  if (!vs || !vs.spec.http || vs.spec.http.length === 0) {
    const hash = destinationHashPolicy(target, service.hostname, port, undefined);
    const route: RouteAction = {
      cluster: outboundClusterName(port, '', service.hostname),
      ...(envoy ? NO_TIMEOUTS : {}),
      retry_policy: defaultRetryPolicy(),
      ...(hash.length > 0 ? { hash_policy: hash } : {}),
    };
    return [
      envoy ? { name: 'default', match: { prefix: '/' }, route, ...decorator } : { match: { prefix: '' }, route },
    ];
  }
  const routes: Route[] = [];
  for (const http of vs.spec.http) {
    const action = routeAction(vs, http, target);
    if (!action) continue;
    const fault = http.fault ? { typed_per_filter_config: faultPerFilterConfig(http.fault) } : {};
    const matches = http.match && http.match.length > 0 ? http.match : [undefined];
    for (const match of matches) {
      if (!matchApplies(match, target)) continue;
      const name = [http.name, match?.name].filter((n) => n !== undefined && n !== '').join('.');
      routes.push({
        ...(name ? { name } : {}),
        match: routeMatch(match),
        // Istio names the VirtualService a route comes from (istioctl and telemetry read it).
        metadata: filterMetadata({
          istio: {
            config: `/apis/networking.istio.io/v1/namespaces/${vs.meta.namespace}/virtual-service/${vs.meta.name}`,
          },
        }),
        route: action,
        ...fault,
        ...decorator,
      });
    }
  }
  return routes;
}
