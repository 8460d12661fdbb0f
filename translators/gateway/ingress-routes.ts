import type { Route } from '../../protos/generated/envoy/config/route/v3/Route.ts';
import type { HTTPMatchRequest, HTTPRoute } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { parseOutboundClusterName } from '../common/names.ts';
import { filterMetadata } from '../common/struct.ts';
import { routeResource, type VirtualHost, type XdsResource } from '../resource.ts';
import { faultPerFilterConfig } from '../traffic/fault.ts';
import { routeAction, routeMatch } from '../traffic/http-routes.ts';
import type { IngressServer, MergedIngress } from './ingress-merge.ts';
import {
  hostIntersection,
  resolveGatewayNames,
  serverHostsForNamespace,
  virtualServiceHosts,
  virtualServicesForGateway,
  type VirtualService,
} from './ingress-virtual-services.ts';

/** Istio's DefaultMaxDirectResponseBodySizeBytes. */
const MAX_DIRECT_RESPONSE_BODY_BYTES = 1024 * 1024;

/** Istio's sourceMatchHTTP for a gateway: a match naming gateways applies to the listed ones only. */
function matchApplies(
  match: HTTPMatchRequest | undefined,
  vs: VirtualService,
  gatewayName: string,
  port: number,
  namespace: string,
): boolean {
  if (match === undefined) return true;
  if (match.port !== undefined && match.port !== port) return false;
  if (match.gateways !== undefined && match.gateways.length > 0)
    return resolveGatewayNames(match.gateways, vs.meta.namespace).includes(gatewayName);
  if (match.sourceLabels !== undefined && Object.keys(match.sourceLabels).length > 0) return false;
  return match.sourceNamespace === undefined || match.sourceNamespace === namespace;
}

/** Istio's IsCatchAllRoute: prefix `/` or regex `.*`, no header or query parameter match. */
function isCatchAll(route: Route): boolean {
  const m = route.match;
  if (m === undefined || m === null) return false;
  const catchAllPath = m.prefix === '/' || m.path_separated_prefix === '/' || m.safe_regex?.regex === '.*';
  return catchAllPath && (m.headers ?? []).length === 0 && (m.query_parameters ?? []).length === 0;
}

/** Istio's GetRouteOperation: `<host>:<port><path>` of the only cluster, else `<VirtualService>:<port><path>`. */
function operation(route: Route, vsName: string, port: number): string {
  const m = route.match;
  const path =
    m?.prefix !== undefined
      ? `${m.prefix}*`
      : m?.path !== undefined
        ? m.path
        : m?.safe_regex?.regex !== undefined
          ? m.safe_regex.regex
          : '/*';
  const cluster = route.route?.cluster;
  const parsed = cluster === undefined ? undefined : parseOutboundClusterName(cluster);
  return parsed ? `${parsed.hostname}:${parsed.port}${path}` : `${vsName}:${port}${path}`;
}

/** Istio's BuildHTTPRoutesForVirtualService for one gateway server port; stops after a catch-all route. */
function virtualServiceRoutes(
  snapshot: MeshSnapshot,
  view: ProxyView,
  vs: VirtualService,
  gatewayName: string,
  port: number,
): Route[] {
  const out: Route[] = [];
  const target = { snapshot, view, port };
  for (const http of vs.spec.http ?? []) {
    let catchAll = false;
    const matches: readonly (HTTPMatchRequest | undefined)[] =
      http.match && http.match.length > 0 ? http.match : [undefined];
    for (const match of matches) {
      const route = translate(vs, http, match, gatewayName, port, view, target);
      if (route === undefined) continue;
      out.push(route);
      if (match === undefined || isCatchAll(route)) {
        catchAll = true;
        break;
      }
    }
    if (catchAll || !http.match || http.match.length === 0) break;
  }
  return out;
}

function translate(
  vs: VirtualService,
  http: HTTPRoute,
  match: HTTPMatchRequest | undefined,
  gatewayName: string,
  port: number,
  view: ProxyView,
  target: Parameters<typeof routeAction>[2],
): Route | undefined {
  if (!matchApplies(match, vs, gatewayName, port, view.namespace)) return undefined;
  const action = routeAction(vs, http, target);
  if (action === undefined) return undefined;
  const name = [http.name, match?.name].filter((n) => n !== undefined && n !== '').join('.');
  const route: Route = {
    ...(name ? { name } : {}),
    match: routeMatch(match),
    // Istio names the VirtualService a route comes from (istioctl and telemetry read it).
    metadata: filterMetadata({
      istio: { config: `/apis/networking.istio.io/v1/namespaces/${vs.meta.namespace}/virtual-service/${vs.meta.name}` },
    }),
    route: action,
    ...(http.fault ? { typed_per_filter_config: faultPerFilterConfig(http.fault) } : {}),
  };
  return { ...route, decorator: { operation: operation(route, vs.meta.name, port) } };
}

/** Istio's host.Names order (MoreSpecific): exact names before wildcards, longer first, then alphabetical. */
function moreSpecificFirst(a: string, b: string): number {
  const wa = a.startsWith('*');
  const wb = b.startsWith('*');
  if (wa !== wb) return wa ? 1 : -1;
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function vhostName(hostname: string, port: number): string {
  return `${hostname}:${port}`;
}

function routeConfiguration(
  snapshot: MeshSnapshot,
  view: ProxyView,
  routeName: string,
  servers: readonly IngressServer[],
): XdsResource {
  const routesByGatewayAndVs = new Map<string, Route[]>();
  // Virtual hosts by lower-cased hostname. Routes are shared objects (one list per Gateway and VirtualService),
  // so two virtual hosts with the same route objects in the same order are what Istio collapses (it compares
  // the routes' pointers).
  const vhosts = new Map<string, { vhost: VirtualHost; routes: Route[] }>();
  for (const s of servers) {
    const port = s.server.port.number;
    const redirect = s.server.tls?.httpsRedirect === true;
    for (const vs of virtualServicesForGateway(snapshot, view.namespace, s.gatewayName)) {
      const hosts = hostIntersection(
        serverHostsForNamespace(s.server.hosts, vs.meta.namespace),
        virtualServiceHosts(snapshot, vs),
      );
      if (hosts.length === 0) continue;
      const key = `${s.gatewayName}|${vs.meta.namespace}/${vs.meta.name}`;
      let routes = routesByGatewayAndVs.get(key);
      if (routes === undefined) {
        routes = virtualServiceRoutes(snapshot, view, vs, s.gatewayName, port);
        routesByGatewayAndVs.set(key, routes);
      }
      if (routes.length === 0) continue;
      for (const raw of hosts) {
        const hostname = raw.toLowerCase();
        const existing = vhosts.get(hostname);
        if (existing) {
          existing.routes.push(...routes);
          if (redirect) existing.vhost = { ...existing.vhost, require_tls: 'ALL' };
        } else {
          vhosts.set(hostname, {
            vhost: {
              name: vhostName(hostname, port),
              domains: [hostname],
              include_request_attempt_count: true,
              ...(redirect ? { require_tls: 'ALL' as const } : {}),
            },
            routes: [...routes],
          });
        }
      }
    }
    // Istio's httpsRedirect: every host of the server answers plain HTTP with a redirect to HTTPS.
    for (const raw of redirect ? s.server.hosts : []) {
      const hostname = raw.toLowerCase();
      const existing = vhosts.get(hostname);
      if (existing) existing.vhost = { ...existing.vhost, require_tls: 'ALL' };
      else
        vhosts.set(hostname, {
          vhost: {
            name: vhostName(hostname, port),
            domains: [hostname],
            include_request_attempt_count: true,
            require_tls: 'ALL',
          },
          routes: [],
        });
    }
  }
  let virtualHosts: VirtualHost[];
  if (vhosts.size === 0) {
    const port = servers[0]?.server.port.number ?? 0;
    virtualHosts = [{ name: vhostName('blackhole', port), domains: ['*'], routes: [] }];
  } else {
    // Istio's collapseDuplicateRoutes: vhosts with the same route objects become one, first hostname first.
    const ids = new Map<Route, number>();
    const routesKey = (routes: readonly Route[]): string =>
      routes
        .map((r) => {
          let id = ids.get(r);
          if (id === undefined) ids.set(r, (id = ids.size));
          return id;
        })
        .join(',');
    const collapsed = new Map<string, { vhost: VirtualHost; routes: Route[] }>();
    const out: { vhost: VirtualHost; routes: Route[] }[] = [];
    for (const hostname of [...vhosts.keys()].sort(moreSpecificFirst)) {
      const entry = vhosts.get(hostname)!;
      const key = routesKey(entry.routes);
      const same = collapsed.get(key);
      // Istio's vhostMergeable: the same routes and the same TLS requirement.
      if (same !== undefined && same.vhost.require_tls === entry.vhost.require_tls)
        same.vhost = { ...same.vhost, domains: [...(same.vhost.domains ?? []), hostname] };
      else {
        const item = { vhost: entry.vhost, routes: entry.routes };
        collapsed.set(key, item);
        out.push(item);
      }
    }
    virtualHosts = out
      .map(({ vhost, routes }) => ({
        ...vhost,
        routes: [...routes.filter((r) => !isCatchAll(r)), ...routes.filter(isCatchAll)],
      }))
      .sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
  }
  return routeResource(routeName, {
    name: routeName,
    virtual_hosts: virtualHosts,
    validate_clusters: { value: false },
    ignore_port_in_host_matching: true,
    max_direct_response_body_size_bytes: { value: MAX_DIRECT_RESPONSE_BODY_BYTES },
  });
}

/**
 * RDS of a router's ingress servers, as Istio's buildGatewayHTTPRouteConfig: one route configuration per
 * route name (`http.<port>` shared by a port's HTTP servers, `https.<port>.<name>.<gateway>.<namespace>` per
 * HTTPS server); a virtual host `<host>:<server port>` per host both a server and a bound VirtualService
 * name (the narrower of the two), with the VirtualServices' routes in order; hosts with the same routes
 * collapse into one virtual host; no host at all gives the `blackhole:<port>` 404 virtual host. Pure.
 */
export function buildIngressRoutes(snapshot: MeshSnapshot, view: ProxyView, merged: MergedIngress): XdsResource[] {
  return [...merged.serversByRouteName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, servers]) => routeConfiguration(snapshot, view, name, servers));
}
