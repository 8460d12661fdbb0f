import type { MeshService, MeshSnapshot, ServicePort } from '../../model/types.ts';
import type { Subset } from '../../model/istio/types.ts';
import { edsCluster, istioClusterMetadata, meshConnectTimeoutMs } from '../common/cluster-common.ts';
import { sniName } from '../common/names.ts';
import { isProxiedPort, portProtocol } from '../common/protocol.ts';
import { envoyPolicyFields } from '../traffic/cluster-policy.ts';
import { destinationRuleFor, effectivePolicy, subsetsOf, type DestinationRule } from '../traffic/destination-rule.ts';
import { forcesUnhealthy } from '../eds.ts';
import { clusterResource, type XdsResource } from '../resource.ts';

export interface SniTarget {
  readonly service: MeshService;
  readonly port: ServicePort;
  /** '' for the whole service, else a DestinationRule subset (its endpoints: those matching `labels`). */
  readonly subset: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The service's DestinationRule as the gateway's namespace sees it, and the subset's definition. */
  readonly rule?: DestinationRule;
  readonly subsetRule?: Subset;
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
    const rule = destinationRuleFor(snapshot.istioConfig, service, gatewayNamespace, snapshot.domainSuffix);
    const withRule = rule ? { rule } : {};
    for (const port of service.ports) {
      if (!isProxiedPort(port)) continue;
      out.push({ service, port, subset: '', labels: {}, ...withRule });
      for (const subset of subsetsOf(rule))
        out.push({ service, port, subset: subset.name, labels: subset.labels ?? {}, ...withRule, subsetRule: subset });
    }
  }
  return out;
}

/**
 * The clusters of an sni-dnat router: `outbound_.<port>_.<subset>_.<fqdn>`, EDS with the same service
 * name (eds.ts serves them with local-network endpoints only). No TLS: the client's mTLS passes through
 * untouched. As Istio's buildOutboundSniDnatClusters, the DestinationRule's traffic policy (merged for the
 * port and subset) applies otherwise: load balancer, connection pool, outlier detection with its
 * minHealthPercent as panic threshold (0 for a Service with trafficDistribution), HTTP/2 options for
 * gRPC/HTTP2 ports, and the rule (and subset) in the istio metadata. Pure.
 */
export function buildSniDnatClusters(snapshot: MeshSnapshot, gatewayNamespace: string): XdsResource[] {
  return sniDnatTargets(snapshot, gatewayNamespace).map(({ service, port, subset, rule, subsetRule }) => {
    const name = sniName(port.port, subset, service.hostname);
    const policy = effectivePolicy(rule, port.port, subsetRule);
    return clusterResource(name, {
      ...edsCluster(name, meshConnectTimeoutMs(snapshot)),
      ...envoyPolicyFields(policy, portProtocol(port) === 'http2', false, forcesUnhealthy(service)),
      metadata: istioClusterMetadata(service, rule, subset || undefined, policy.tls?.mode),
    });
  });
}
