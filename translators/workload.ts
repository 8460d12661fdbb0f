import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshService, MeshSnapshot, ServicePort } from '../model/types.ts';
import { isProxiedPort } from './protocol.ts';

/** One service port the proxy's own workload serves (Istio's "service instance"). */
export interface WorkloadInstance {
  readonly service: MeshService;
  readonly servicePort: ServicePort;
  /** The port the workload listens on (the endpoint's port, i.e. the resolved targetPort). */
  readonly endpointPort: number;
}

/**
 * The (TCP) service ports whose endpoints carry the proxy's IP in its own kube cluster (any kube cluster
 * when the view has none), sorted by endpoint port, hostname, service port. Empty without an IP.
 */
export function workloadInstances(snapshot: MeshSnapshot, view: ProxyView): WorkloadInstance[] {
  const ip = view.workloadIp;
  if (!ip) return [];
  const out: WorkloadInstance[] = [];
  for (const service of snapshot.services.values()) {
    const byPort = snapshot.endpoints.get(service.hostname);
    if (!byPort) continue;
    for (const servicePort of service.ports) {
      if (!isProxiedPort(servicePort)) continue;
      const ports = new Set<number>();
      for (const endpoint of byPort.get(servicePort.port) ?? []) {
        if (endpoint.address !== ip) continue;
        if (view.kubeCluster !== '' && endpoint.kubeCluster !== view.kubeCluster) continue;
        ports.add(endpoint.port);
      }
      for (const endpointPort of ports) out.push({ service, servicePort, endpointPort });
    }
  }
  return out.sort(
    (a, b) => a.endpointPort - b.endpointPort || a.service.hostname.localeCompare(b.service.hostname) || a.servicePort.port - b.servicePort.port,
  );
}

/** The distinct endpoint ports of the workload, ascending. */
export function workloadPorts(instances: readonly WorkloadInstance[]): number[] {
  return [...new Set(instances.map((i) => i.endpointPort))].sort((a, b) => a - b);
}
