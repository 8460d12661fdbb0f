import { localityOf, TLS_MODE_LABEL } from './build-service.ts';
import type { KubeClusterObjects } from './inputs.ts';
import type { IstioConfig, ServicePortSpec } from './istio/types.ts';
import type { NetworkResolver } from './networks.ts';
import { NO_LOCALITY, type MeshService, type ServicePort, type WorkloadEndpoint } from './types.ts';
import { entryEndpoint, workloadEntryIn, type WorkloadEntryIn, type WorkloadEntryIndex } from './workload-entries.ts';

/** The services ServiceEntries add to the mesh, with their endpoints by service port. */
export interface ServiceEntryServices {
  readonly services: ReadonlyMap<string, MeshService>;
  readonly endpoints: ReadonlyMap<string, ReadonlyMap<number, readonly WorkloadEndpoint[]>>;
}

/** Istio's DNS-type services: endpoints may be hostnames, resolved by Envoy (STRICT_DNS, LOGICAL_DNS). */
function isDnsResolution(resolution: string): boolean {
  return resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN';
}

/**
 * Istio's ServiceEntry services (serviceentry/conversion.go), of every resolution: one service per host, in
 * the ServiceEntry's namespace, its ports as declared, its first address (not a CIDR) as VIP, in the config
 * kube cluster. Endpoints are the inline `endpoints` (each a WorkloadEntry named `<name>-<index>`), or with a
 * `workloadSelector` the WorkloadEntries of every kube cluster (config and members) in its namespace whose labels it matches;
 * an endpoint's port is its `ports` entry for the port's name, else the port's targetPort, else its number.
 * DNS and DNS_ROUND_ROBIN endpoints may be hostnames; without endpoints or selector each host is its own one
 * endpoint (plaintext, no locality), as Istio's convertServiceEntryToInstances.
 * A host already served by a kube Service keeps the kube Service. The oldest ServiceEntry wins a host.
 */
export function serviceEntryServices(
  entries: readonly IstioConfig<'ServiceEntry'>[],
  workloadEntries: WorkloadEntryIndex,
  configKubeCluster: string | undefined,
  taken: ReadonlySet<string>,
  pods: PodSources = NO_POD_SOURCES,
): ServiceEntryServices {
  const services = new Map<string, MeshService>();
  const endpoints = new Map<string, Map<number, WorkloadEndpoint[]>>();
  if (configKubeCluster === undefined) return { services, endpoints };
  for (const entry of entries) {
    const { spec, meta } = entry;
    const ports = (spec.ports ?? []).map(servicePortOf);
    const sources = sourcesOf(entry, workloadEntries, configKubeCluster, pods);
    const byPortOf = (sourceList: readonly WorkloadEntryIn[]): Map<number, WorkloadEndpoint[]> => {
      const byPort = new Map<number, WorkloadEndpoint[]>();
      for (const port of spec.ports ?? []) {
        const list: WorkloadEndpoint[] = [];
        for (const source of sourceList) list.push(entryEndpoint(source, port.name, endpointPort(source, port)));
        byPort.set(port.number, list);
      }
      return byPort;
    };
    const shared = byPortOf(sources);
    // Istio: a DNS ServiceEntry without endpoints or selector resolves each of its hosts (one endpoint per host).
    const ownHost =
      isDnsResolution(spec.resolution) && spec.endpoints === undefined && spec.workloadSelector === undefined;
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
      endpoints.set(
        host,
        ownHost ? byPortOf([hostEndpoint(host, configKubeCluster, meta.namespace, meta.name)]) : shared,
      );
    }
  }
  return { services, endpoints };
}

function sourcesOf(
  entry: IstioConfig<'ServiceEntry'>,
  workloadEntries: WorkloadEntryIndex,
  configKubeCluster: string,
  pods: PodSources,
): WorkloadEntryIn[] {
  const { spec, meta } = entry;
  if (spec.workloadSelector !== undefined) {
    const selector = Object.entries(spec.workloadSelector.labels);
    const matches = (source: WorkloadEntryIn): boolean =>
      source.namespace === meta.namespace && selector.every(([key, value]) => source.labels[key] === value);
    // Istio's ServiceEntry controller gets the ready Pods and the WorkloadEntries of every kube cluster
    // (config and members), pods first (its selected workloads are sorted by kind, then name).
    const selectedPods = (pods.get(meta.namespace) ?? []).filter(matches);
    return [...selectedPods, ...[...workloadEntries.values()].flatMap((list) => list.filter(matches))];
  }
  const hostnames = isDnsResolution(spec.resolution);
  return (spec.endpoints ?? []).flatMap((endpoint, index) => {
    const source = workloadEntryIn(endpoint, configKubeCluster, meta.namespace, `${meta.name}-${index}`, hostnames);
    return source ? [source] : [];
  });
}

/** Ready pods of every kube cluster as ServiceEntry endpoint sources, by namespace, in name order. */
export type PodSources = ReadonlyMap<string, readonly WorkloadEntryIn[]>;

export const NO_POD_SOURCES: PodSources = new Map();

/**
 * The pods a ServiceEntry's workloadSelector may pick, as Istio's kube controllers hand them to its ServiceEntry
 * controller (kube/controller/pod.go notifyWorkloadHandlers, every kube cluster with
 * PILOT_ENABLE_SERVICE_ENTRY_SELECT_PODS): a pod with an IP that is ready (not terminal, not being deleted,
 * condition Ready), its labels, service account, network and locality as for a kube Service's endpoint, its
 * tlsMode from its security.istio.io/tlsMode label only, its named container ports as its ports.
 */
export function podSources(kubeClusters: readonly KubeClusterObjects[], resolver: NetworkResolver): PodSources {
  const out = new Map<string, WorkloadEntryIn[]>();
  for (const cluster of kubeClusters) {
    for (const pod of cluster.pods.values()) {
      if (pod.ready !== true || pod.ip === undefined) continue;
      const list = out.get(pod.namespace) ?? [];
      list.push({
        kubeCluster: cluster.name,
        namespace: pod.namespace,
        name: pod.name,
        address: pod.ip,
        ports: pod.containerPorts ?? {},
        labels: pod.labels,
        network: resolver.networkOf(cluster.name, pod.ip, pod),
        locality: localityOf(cluster, pod, pod.nodeName, undefined),
        serviceAccount: pod.serviceAccount,
        tlsMode: pod.labels[TLS_MODE_LABEL] === 'istio' ? 'istio' : 'disabled',
        pod: true,
      });
      out.set(pod.namespace, list);
    }
  }
  for (const list of out.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** Istio's endpoint of a DNS ServiceEntry host without endpoints: the host itself, plaintext, no labels or locality. */
function hostEndpoint(host: string, kubeCluster: string, namespace: string, name: string): WorkloadEntryIn {
  return {
    kubeCluster,
    namespace,
    name,
    address: host,
    ports: {},
    labels: {},
    network: '',
    locality: NO_LOCALITY,
    tlsMode: 'disabled',
  };
}

/** Istio's convertWorkloadInstanceToServiceInstance: the entry's (or pod's named container) port of that name, else targetPort, else number. */
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
