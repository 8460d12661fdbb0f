import { CLUSTER_TYPE } from '../protos/type-urls.ts';
import type { MeshService, MeshSnapshot, ServicePort } from '../model/types.ts';
import { DEFAULT_CIRCUIT_BREAKERS, edsCluster, istioServicesMetadata } from './cluster-common.ts';
import { sniName } from './names.ts';
import { isProxiedPort } from './protocol.ts';
import type { XdsResource } from './resource.ts';

/** The service ports an east-west gateway passes through by SNI: every proxied port of every service with a VIP. */
export function sniDnatTargets(snapshot: MeshSnapshot): { service: MeshService; port: ServicePort }[] {
  const out: { service: MeshService; port: ServicePort }[] = [];
  for (const service of snapshot.services.values()) {
    if (service.headless) continue;
    for (const port of service.ports) if (isProxiedPort(port)) out.push({ service, port });
  }
  return out;
}

/**
 * The clusters of an sni-dnat router: `outbound_.<port>_._.<fqdn>`, EDS with the same service
 * name (the lead's eds.ts serves them with local-network endpoints only). No TLS: the client's
 * mTLS passes through untouched. Subsets come with DestinationRules (not in the snapshot yet). Pure.
 */
export function buildSniDnatClusters(snapshot: MeshSnapshot): XdsResource[] {
  return sniDnatTargets(snapshot).map(({ service, port }) => {
    const name = sniName(port.port, '', service.hostname);
    return {
      name,
      typeUrl: CLUSTER_TYPE,
      object: {
        ...edsCluster(name),
        lb_policy: 'LEAST_REQUEST',
        circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
        common_lb_config: { locality_weighted_lb_config: {} },
        metadata: istioServicesMetadata([service]),
      },
    };
  });
}
