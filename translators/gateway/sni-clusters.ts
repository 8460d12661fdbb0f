import type { MeshService, MeshSnapshot, ServicePort } from '../../model/types.ts';
import {
  DEFAULT_CIRCUIT_BREAKERS,
  edsCluster,
  istioServicesMetadata,
  meshConnectTimeoutMs,
} from '../common/cluster-common.ts';
import { sniName } from '../common/names.ts';
import { isProxiedPort } from '../common/protocol.ts';
import { destinationRuleFor, subsetsOf } from '../traffic/destination-rule.ts';
import { panicThreshold } from '../traffic/gateway-ejection.ts';
import { clusterResource, type XdsResource } from '../resource.ts';

export interface SniTarget {
  readonly service: MeshService;
  readonly port: ServicePort;
  /** '' for the whole service, else a DestinationRule subset (its endpoints: those matching `labels`). */
  readonly subset: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * What an east-west gateway passes through by SNI: every proxied port of every service with a VIP,
 * and each subset of its DestinationRule (as the gateway's namespace sees it), so that subset
 * traffic from another network (SNI `outbound_.<port>_.<subset>_.<fqdn>`) finds its chain.
 */
export function sniDnatTargets(snapshot: MeshSnapshot, gatewayNamespace: string): SniTarget[] {
  const out: SniTarget[] = [];
  for (const service of snapshot.services.values()) {
    // As Istio, a gateway forwards to mesh services only: no SNI cluster for a MESH_EXTERNAL ServiceEntry host.
    if (service.headless || service.serviceEntry?.location === 'MESH_EXTERNAL') continue;
    const subsets = subsetsOf(
      destinationRuleFor(snapshot.istioConfig, service, gatewayNamespace, snapshot.domainSuffix),
    );
    for (const port of service.ports) {
      if (!isProxiedPort(port)) continue;
      out.push({ service, port, subset: '', labels: {} });
      for (const subset of subsets) out.push({ service, port, subset: subset.name, labels: subset.labels ?? {} });
    }
  }
  return out;
}

/**
 * The clusters of an sni-dnat router: `outbound_.<port>_._.<fqdn>`, EDS with the same service
 * name (the lead's eds.ts serves them with local-network endpoints only). No TLS: the client's
 * mTLS passes through untouched. Pure.
 */
export function buildSniDnatClusters(snapshot: MeshSnapshot, gatewayNamespace: string): XdsResource[] {
  return sniDnatTargets(snapshot, gatewayNamespace).map(({ service, port, subset }) => {
    const name = sniName(port.port, subset, service.hostname);
    return clusterResource(name, {
      ...edsCluster(name, meshConnectTimeoutMs(snapshot)),
      lb_policy: 'LEAST_REQUEST',
      circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
      common_lb_config: { locality_weighted_lb_config: {}, healthy_panic_threshold: panicThreshold(0) },
      metadata: istioServicesMetadata([service]),
    });
  });
}
