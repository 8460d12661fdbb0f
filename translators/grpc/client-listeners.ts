import { typedConfig } from '../common/typed-config.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { HCM_TYPE, OUTBOUND_HTTP_FILTERS } from '../common/filters.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { hostPortName } from '../common/names.ts';
import { ADS_CONFIG_SOURCE, routeResource, type XdsResource, listenerResource } from '../resource.ts';
import { serviceRoutes } from '../traffic/http-routes.ts';

/** Proxyless gRPC client listeners `<fqdn>:<port>`: api_listener + HttpConnectionManager + RDS. Pure. */
export function buildGrpcListeners(snapshot: MeshSnapshot): XdsResource[] {
  const out: XdsResource[] = [];
  for (const service of snapshot.services.values()) {
    for (const port of service.ports) {
      const name = hostPortName(service.hostname, port.port);
      out.push(
        listenerResource(name, {
          name,
          api_listener: {
            api_listener: typedConfig(HCM_TYPE, {
              stat_prefix: name,
              rds: { config_source: ADS_CONFIG_SOURCE, route_config_name: name },
              http_filters: [...OUTBOUND_HTTP_FILTERS],
            }),
          },
        }),
      );
    }
  }
  return out;
}

/**
 * The route configuration of each proxyless listener: one virtual host whose routes come from the
 * service's VirtualService, else the default route to the service (traffic/http-routes.ts). Pure.
 */
export function buildGrpcRoutes(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const out: XdsResource[] = [];
  for (const service of snapshot.services.values()) {
    for (const port of service.ports) {
      const name = hostPortName(service.hostname, port.port);
      const shortNames = [`${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`];
      out.push(
        routeResource(name, {
          name,
          virtual_hosts: [
            {
              name,
              domains: [name, service.hostname, ...shortNames.flatMap((host) => [host, `${host}:${port.port}`])],
              routes: serviceRoutes({ snapshot, view, service, port: port.port, vhostName: name }),
            },
          ],
        }),
      );
    }
  }
  return out;
}
