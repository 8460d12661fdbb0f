import { duration } from '../../protos/any.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { DEFAULT_CIRCUIT_BREAKERS, istioServicesMetadata, meshConnectTimeoutMs } from '../common/cluster-common.ts';
import { inboundClusterName } from '../common/names.ts';
import { clusterResource, type XdsResource } from '../resource.ts';
import { workloadInstances, workloadPorts } from '../common/workload.ts';

const LOCALHOST = '127.0.0.1';

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
      connect_timeout: duration(meshConnectTimeoutMs(snapshot)),
      circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
      metadata: istioServicesMetadata(services),
      load_assignment: {
        cluster_name: name,
        endpoints: [
          { lb_endpoints: [{ endpoint: { address: { socket_address: { address: LOCALHOST, port_value: port } } } }] },
        ],
      },
    });
  });
}
