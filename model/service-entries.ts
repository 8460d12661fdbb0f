import type { IstioConfig, ServicePortSpec } from './istio/types.ts';
import type { MeshService, ServicePort, WorkloadEndpoint } from './types.ts';
import { entryEndpoint, workloadEntryIn, type WorkloadEntryIn, type WorkloadEntryIndex } from './workload-entries.ts';

/** The services ServiceEntries add to the mesh, with their endpoints by service port. */
export interface ServiceEntryServices {
  readonly services: ReadonlyMap<string, MeshService>;
  readonly endpoints: ReadonlyMap<string, ReadonlyMap<number, readonly WorkloadEndpoint[]>>;
}

/** Whether meshpilot builds a ServiceEntry's hosts: resolution STATIC (EDS clusters, as Istio). */
export function isTranslatedServiceEntry(entry: IstioConfig<'ServiceEntry'>): boolean {
  return entry.spec.resolution === 'STATIC';
}

/**
 * Istio's ServiceEntry services (serviceentry/conversion.go) for resolution STATIC: one service per host, in
 * the ServiceEntry's namespace, its ports as declared, its first address (not a CIDR) as VIP, in the config
 * kube cluster. Endpoints are the inline `endpoints` (each a WorkloadEntry named `<name>-<index>`), or with a
 * `workloadSelector` the WorkloadEntries of the config kube cluster in its namespace whose labels it matches;
 * an endpoint's port is its `ports` entry for the port's name, else the port's targetPort, else its number.
 * A host already served by a kube Service keeps the kube Service. The oldest ServiceEntry wins a host.
 */
export function serviceEntryServices(
  entries: readonly IstioConfig<'ServiceEntry'>[],
  workloadEntries: WorkloadEntryIndex,
  configKubeCluster: string | undefined,
  taken: ReadonlySet<string>,
): ServiceEntryServices {
  const services = new Map<string, MeshService>();
  const endpoints = new Map<string, Map<number, WorkloadEndpoint[]>>();
  if (configKubeCluster === undefined) return { services, endpoints };
  for (const entry of entries) {
    if (!isTranslatedServiceEntry(entry)) continue;
    const { spec, meta } = entry;
    const ports = (spec.ports ?? []).map(servicePortOf);
    const sources = sourcesOf(entry, workloadEntries, configKubeCluster);
    const byPort = new Map<number, WorkloadEndpoint[]>();
    for (const port of spec.ports ?? []) {
      const list: WorkloadEndpoint[] = [];
      for (const source of sources) list.push(entryEndpoint(source, port.name, endpointPort(source, port)));
      byPort.set(port.number, list);
    }
    const vip = (spec.addresses ?? []).find((address) => !address.includes('/'));
    const serviceAccounts = [...new Set(sources.flatMap((s) => (s.serviceAccount ? [s.serviceAccount] : [])))].sort();
    for (const host of spec.hosts) {
      if (taken.has(host) || services.has(host)) continue;
      services.set(host, {
        hostname: host,
        namespace: meta.namespace,
        name: host,
        ports,
        vips: vip !== undefined ? { [configKubeCluster]: vip } : {},
        headless: false,
        kubeClusters: [configKubeCluster],
        serviceAccounts,
        serviceEntry: {
          name: meta.name,
          location: spec.location,
          resolution: spec.resolution,
          ...(spec.exportTo ? { exportTo: spec.exportTo } : {}),
        },
      });
      endpoints.set(host, byPort);
    }
  }
  return { services, endpoints };
}

function sourcesOf(
  entry: IstioConfig<'ServiceEntry'>,
  workloadEntries: WorkloadEntryIndex,
  configKubeCluster: string,
): WorkloadEntryIn[] {
  const { spec, meta } = entry;
  if (spec.workloadSelector !== undefined) {
    const selector = Object.entries(spec.workloadSelector.labels);
    return (workloadEntries.get(`${configKubeCluster}/${meta.namespace}`) ?? []).filter((we) =>
      selector.every(([key, value]) => we.labels[key] === value),
    );
  }
  return (spec.endpoints ?? []).flatMap((endpoint, index) => {
    const source = workloadEntryIn(endpoint, configKubeCluster, meta.namespace, `${meta.name}-${index}`);
    return source ? [source] : [];
  });
}

/** Istio's convertWorkloadInstanceToServiceInstance: the entry's port of that name, else targetPort, else number. */
function endpointPort(source: WorkloadEntryIn, port: ServicePortSpec): number {
  const own = source.ports[port.name];
  if (own !== undefined && own > 0) return own;
  return port.targetPort !== undefined && port.targetPort > 0 ? port.targetPort : port.number;
}

/** A ServiceEntry port as a service port: its protocol is the port's application protocol. */
function servicePortOf(port: ServicePortSpec): ServicePort {
  return {
    name: port.name,
    port: port.number,
    ...(port.targetPort !== undefined ? { targetPort: port.targetPort } : {}),
    protocol: 'TCP',
    ...(port.protocol !== undefined ? { appProtocol: port.protocol.toLowerCase() } : {}),
  };
}
