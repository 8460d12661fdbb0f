import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import { hostPortName, PASSTHROUGH_CLUSTER } from '../common/names.ts';
import { isHttpPort, isProxiedPort } from '../common/protocol.ts';
import { routeResource, type VirtualHost, type XdsResource } from '../resource.ts';
import { httpPortNumbers } from './outbound-listeners.ts';
import { NO_TIMEOUTS, serviceRoutes } from '../traffic/http-routes.ts';

/** Istio's names for a service from a proxy in `proxyNamespace`: the bare name only from its own namespace. */
function serviceDomains(service: MeshService, port: number, proxyNamespace: string): string[] {
  const names = [service.hostname];
  if (service.namespace === proxyNamespace) names.push(service.name);
  names.push(`${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`);
  const vips = Object.entries(service.vips)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, vip]) => vip);
  return [...names, ...vips].flatMap((host) => [host, `${host}:${port}`]);
}

/**
 * What Istio sets on a sidecar's outbound route configurations (pilot/pkg/networking/core/httproute.go):
 * Host headers matched without their port, and direct responses up to 1 MiB (Envoy's default is 4 KiB;
 * Istio's webhook allows 1 MiB). Each virtual host sets include_request_attempt_count (the
 * x-envoy-attempt-count header to the upstream), as Istio's default proxy headers do.
 */
const ISTIO_ROUTE_CONFIG_OPTIONS = {
  ignore_port_in_host_matching: true,
  max_direct_response_body_size_bytes: { value: 1024 * 1024 },
} as const;

function routeConfiguration(snapshot: MeshSnapshot, view: ProxyView, port: number): XdsResource {
  const name = String(port);
  const taken = new Set<string>(['*']);
  const virtualHosts: VirtualHost[] = [];
  for (const service of snapshot.services.values()) {
    const servicePort = service.ports.find((p) => p.port === port);
    if (!servicePort || !isProxiedPort(servicePort) || !isHttpPort(servicePort)) continue;
    // Envoy rejects a domain in two virtual hosts of one route configuration: first service wins.
    const domains = [...new Set(serviceDomains(service, port, view.namespace))].filter((d) => !taken.has(d));
    for (const domain of domains) taken.add(domain);
    const vhostName = hostPortName(service.hostname, port);
    virtualHosts.push({
      name: vhostName,
      domains,
      routes: serviceRoutes({ snapshot, view, service, port, vhostName }),
      include_request_attempt_count: true,
    });
  }
  virtualHosts.push({
    name: 'allow_any',
    domains: ['*'],
    routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: PASSTHROUGH_CLUSTER, ...NO_TIMEOUTS } }],
    include_request_attempt_count: true,
  });
  return routeResource(name, {
    name,
    virtual_hosts: virtualHosts,
    validate_clusters: { value: false },
    ...ISTIO_ROUTE_CONFIG_OPTIONS,
  });
}

/**
 * RDS for a sidecar: route configuration `<port>` per HTTP port of the mesh, one virtual host
 * `<fqdn>:<port>` per service with that port (domains: FQDN, short forms, VIPs, each with and
 * without `:<port>`), routes from the service's VirtualService (traffic/http-routes.ts) or the
 * default route to `outbound|<port>||<fqdn>` with Istio's defaults, and a
 * final `allow_any` virtual host to PassthroughCluster. Pure.
 */
export function buildSidecarRoutes(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return httpPortNumbers(snapshot).map((port) => routeConfiguration(snapshot, view, port));
}
