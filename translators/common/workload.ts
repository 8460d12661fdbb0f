import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshService, MeshSnapshot, ServicePort } from '../../model/types.ts';
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
  for (const { service, servicePort, ports } of instancesByAddress(snapshot).get(ip) ?? []) {
    const own = view.kubeCluster === '' ? [...ports.values()].flat() : (ports.get(view.kubeCluster) ?? []);
    for (const endpointPort of new Set(own)) out.push({ service, servicePort, endpointPort });
  }
  return out.sort(
    (a, b) =>
      a.endpointPort - b.endpointPort ||
      a.service.hostname.localeCompare(b.service.hostname) ||
      a.servicePort.port - b.servicePort.port,
  );
}

interface AddressInstances {
  readonly service: MeshService;
  readonly servicePort: ServicePort;
  /** Endpoint ports by kube cluster. */
  readonly ports: Map<string, number[]>;
}

/**
 * Every proxied service port by endpoint address, indexed once per snapshot: each sidecar asks for
 * its own instances, and scanning every endpoint of the mesh per proxy is O(proxies × endpoints).
 * The index is derived data of an immutable snapshot, so a WeakMap keyed by it is safe.
 */
const indexes = new WeakMap<MeshSnapshot, ReadonlyMap<string, readonly AddressInstances[]>>();

function instancesByAddress(snapshot: MeshSnapshot): ReadonlyMap<string, readonly AddressInstances[]> {
  const cached = indexes.get(snapshot);
  if (cached) return cached;
  const index = new Map<string, AddressInstances[]>();
  for (const service of snapshot.services.values()) {
    const byPort = snapshot.endpoints.get(service.hostname);
    if (!byPort) continue;
    for (const servicePort of service.ports) {
      if (!isProxiedPort(servicePort)) continue;
      const forPort = new Map<string, AddressInstances>();
      for (const endpoint of byPort.get(servicePort.port) ?? []) {
        let entry = forPort.get(endpoint.address);
        if (!entry) {
          entry = { service, servicePort, ports: new Map() };
          forPort.set(endpoint.address, entry);
          const list = index.get(endpoint.address) ?? [];
          list.push(entry);
          index.set(endpoint.address, list);
        }
        const ports = entry.ports.get(endpoint.kubeCluster) ?? [];
        ports.push(endpoint.port);
        entry.ports.set(endpoint.kubeCluster, ports);
      }
    }
  }
  indexes.set(snapshot, index);
  return index;
}

/** The distinct endpoint ports of the workload, ascending. */
export function workloadPorts(instances: readonly WorkloadInstance[]): number[] {
  return [...new Set(instances.map((i) => i.endpointPort))].sort((a, b) => a - b);
}
