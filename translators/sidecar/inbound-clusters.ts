import { duration } from '../../protos/any.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import {
  altStatName,
  DEFAULT_CIRCUIT_BREAKERS,
  destinationRulePath,
  istioServicesMetadata,
  meshConnectTimeoutMs,
} from '../common/cluster-common.ts';
import { destinationRuleFor } from '../traffic/destination-rule.ts';
import type { Metadata } from '../../protos/generated/envoy/config/core/v3/Metadata.ts';
import { inboundClusterName } from '../common/names.ts';
import { clusterResource, type XdsResource } from '../resource.ts';
import { workloadInstances, workloadPorts } from '../common/workload.ts';

const LOCALHOST = '127.0.0.1';

/**
 * The services of the port, plus `istio.config` when the DestinationRule of the port's first service
 * (as the proxy's namespace sees it) has a traffic policy: Istio applies that policy's connection pool
 * to the inbound cluster too and records the rule (buildInboundCluster).
 */
function inboundMetadata(snapshot: MeshSnapshot, view: ProxyView, services: readonly MeshService[]): Metadata {
  const first = services[0];
  const rule = first && destinationRuleFor(snapshot.istioConfig, first, view.namespace, snapshot.domainSuffix);
  return istioServicesMetadata(services, rule?.spec.trafficPolicy ? destinationRulePath(rule) : undefined);
}

/**
 * `inbound|<port>||` per port the proxy's workload serves for some service, keyed like Istio
 * (since 1.10) by the workload's port (the resolved targetPort), not the service port: STATIC
 * to 127.0.0.1:<port>, where the application listens beside its sidecar. Pure.
 */
export function buildInboundClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const instances = workloadInstances(snapshot, view);
  return workloadPorts(instances).map((port) => {
    const name = inboundClusterName(port);
    const services = [
      ...new Map(instances.filter((i) => i.endpointPort === port).map((i) => [i.service.hostname, i.service])).values(),
    ];
    return clusterResource(name, {
      name,
      type: 'STATIC',
      alt_stat_name: altStatName(name),
      connect_timeout: duration(meshConnectTimeoutMs(snapshot)),
      circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
      metadata: inboundMetadata(snapshot, view, services),
      load_assignment: {
        cluster_name: name,
        endpoints: [
          { lb_endpoints: [{ endpoint: { address: { socket_address: { address: LOCALHOST, port_value: port } } } }] },
        ],
      },
    });
  });
}
