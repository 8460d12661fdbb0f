import type { KubeClusterObjects } from './inputs.ts';
import type { InputIndex, RecordRef } from './input-index.ts';
import { localityFromPodLabel, POD_LOCALITY_LABEL, NO_LOCALITY } from './locality.ts';
import type { NetworkResolver } from './networks.ts';
import { NO_WORKLOAD_ENTRIES, workloadEntryEndpoints, type WorkloadEntryIndex } from './workload-entries.ts';
import type {
  EndpointSliceRecord,
  KubeServiceRecord,
  Locality,
  MeshService,
  PodRecord,
  ServicePort,
  SliceEndpointRecord,
  TlsMode,
  WorkloadEndpoint,
} from './types.ts';

export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

/** One kube cluster's Service record of a mesh service. */
export interface ServiceRecordIn {
  readonly cluster: KubeClusterObjects;
  readonly service: KubeServiceRecord;
}

export interface BuiltService {
  readonly service: MeshService;
  readonly endpoints: ReadonlyMap<number, readonly WorkloadEndpoint[]>;
}

/**
 * What a service's result depends on: every input record (compared by identity: the kube cluster
 * stores keep unchanged records as the same objects), and the pods and nodes its endpoints name
 * (filed in the index, so a Pod or Node change finds the service).
 */
export interface ServiceDependencies {
  readonly inputs: readonly unknown[];
  readonly pods: readonly RecordRef[];
  readonly nodes: readonly RecordRef[];
}

export function serviceKeyOf(service: { readonly namespace: string; readonly name: string }): string {
  return `${service.namespace}/${service.name}`;
}

export function podOf(
  cluster: KubeClusterObjects,
  slice: EndpointSliceRecord,
  endpoint: SliceEndpointRecord,
): PodRecord | undefined {
  const key = podKeyOf(slice, endpoint);
  return key ? cluster.pods.get(key) : undefined;
}

function podKeyOf(slice: EndpointSliceRecord, endpoint: SliceEndpointRecord): string | undefined {
  return endpoint.podKey ?? (endpoint.podName ? `${slice.namespace}/${endpoint.podName}` : undefined);
}

export function serviceDependencies(records: readonly ServiceRecordIn[], index: InputIndex): ServiceDependencies {
  const inputs: unknown[] = [];
  const pods: RecordRef[] = [];
  const nodes: RecordRef[] = [];
  for (const { cluster, service } of records) {
    inputs.push(cluster.name, service, cluster.namespaces?.get(service.namespace));
    for (const slice of index.slicesOf(cluster, serviceKeyOf(service))) {
      inputs.push(slice);
      for (const endpoint of slice.endpoints) {
        const podKey = podKeyOf(slice, endpoint);
        const pod = podKey ? cluster.pods.get(podKey) : undefined;
        const nodeName = endpoint.nodeName ?? pod?.nodeName;
        inputs.push(pod, nodeName ? cluster.nodes.get(nodeName) : undefined);
        if (podKey) pods.push([cluster.name, podKey]);
        if (nodeName) nodes.push([cluster.name, nodeName]);
      }
    }
  }
  return { inputs, pods, nodes };
}

export function buildService(
  hostname: string,
  records: readonly ServiceRecordIn[],
  index: InputIndex,
  resolver: NetworkResolver,
  workloadEntries: WorkloadEntryIndex = NO_WORKLOAD_ENTRIES,
): BuiltService {
  const byPort = new Map<number, WorkloadEndpoint[]>();
  const ports = mergePorts(records.map((r) => r.service));
  const add = (servicePort: number, endpoint: WorkloadEndpoint): void => {
    let list = byPort.get(servicePort);
    if (!list) byPort.set(servicePort, (list = []));
    list.push(endpoint);
  };
  for (const { cluster, service } of records) {
    for (const endpoint of endpointsOf(cluster, index.slicesOf(cluster, serviceKeyOf(service)), resolver)) {
      const port = ports.find(
        (p) => p.name === endpoint.servicePortName || (ports.length === 1 && endpoint.servicePortName === ''),
      );
      if (port) add(port.port, endpoint);
    }
    for (const { servicePort, endpoint } of workloadEntryEndpoints(cluster.name, service, ports, workloadEntries))
      add(servicePort, endpoint);
  }
  for (const list of byPort.values()) list.sort(compareEndpoints);
  const first = records[0]!.service;
  const vips: Record<string, string> = {};
  for (const { cluster, service } of records) if (service.clusterIP) vips[cluster.name] = service.clusterIP;
  const serviceAccounts = new Set<string>();
  for (const list of byPort.values()) for (const e of list) if (e.serviceAccount) serviceAccounts.add(e.serviceAccount);
  // As Istio's GetTrafficDistribution: the Service's (spec, then annotation), else its Namespace's annotation.
  const trafficDistribution =
    records.find((r) => r.service.trafficDistribution)?.service.trafficDistribution ??
    records.map((r) => r.cluster.namespaces?.get(r.service.namespace)?.trafficDistribution).find(Boolean);
  return {
    service: {
      hostname,
      namespace: first.namespace,
      name: first.name,
      ports,
      vips,
      headless: records.every((r) => r.service.headless),
      ...(trafficDistribution ? { trafficDistribution } : {}),
      kubeClusters: records.map((r) => r.cluster.name),
      serviceAccounts: [...serviceAccounts].sort(),
    },
    endpoints: byPort,
  };
}

/** Ports of a service present in several kube clusters: the union, by port number, first definition wins. */
function mergePorts(services: readonly KubeServiceRecord[]): ServicePort[] {
  const byNumber = new Map<number, ServicePort>();
  for (const service of services)
    for (const port of service.ports) if (!byNumber.has(port.port)) byNumber.set(port.port, port);
  return [...byNumber.values()].sort((a, b) => a.port - b.port);
}

function endpointsOf(
  cluster: KubeClusterObjects,
  slices: readonly EndpointSliceRecord[],
  resolver: NetworkResolver,
): WorkloadEndpoint[] {
  // The same address and port name in several slices of a service (legal in Kubernetes) is sent
  // once, as Istio merges them: a ready endpoint wins, then the newest slice.
  const out = new Map<string, { endpoint: WorkloadEndpoint; slice: EndpointSliceRecord }>();
  for (const slice of slices) {
    for (const slicePort of slice.ports) {
      for (const endpoint of slice.endpoints) {
        const pod = podOf(cluster, slice, endpoint);
        const nodeName = endpoint.nodeName ?? pod?.nodeName;
        for (const address of endpoint.addresses) {
          const key = `${address}|${slicePort.name}`;
          const existing = out.get(key);
          if (existing && !replaces(endpoint, slice, existing.endpoint, existing.slice)) continue;
          out.set(key, {
            slice,
            endpoint: {
              kubeCluster: cluster.name,
              address,
              port: slicePort.port,
              servicePortName: slicePort.name,
              ready: endpoint.ready,
              serving: endpoint.serving,
              terminating: endpoint.terminating,
              ...(endpoint.podName ? { podName: endpoint.podName } : {}),
              labels: pod?.labels ?? {},
              ...(pod ? { serviceAccount: pod.serviceAccount } : {}),
              network: resolver.networkOf(cluster.name, address, pod),
              locality: localityOf(cluster, pod, nodeName, endpoint.zone),
              tlsMode: tlsModeOf(pod),
              ...(cluster.draining !== undefined ? { draining: cluster.draining } : {}),
            },
          });
        }
      }
    }
  }
  return [...out.values()].map((entry) => entry.endpoint);
}

/** Whether an endpoint of `slice` replaces the same address already taken from `otherSlice`. */
function replaces(
  endpoint: SliceEndpointRecord,
  slice: EndpointSliceRecord,
  other: WorkloadEndpoint,
  otherSlice: EndpointSliceRecord,
): boolean {
  if (endpoint.ready !== other.ready) return endpoint.ready;
  const created = slice.createdAt ?? '';
  const otherCreated = otherSlice.createdAt ?? '';
  if (created !== otherCreated) return created > otherCreated;
  return slice.name > otherSlice.name;
}

export function localityOf(
  cluster: KubeClusterObjects,
  pod: PodRecord | undefined,
  nodeName: string | undefined,
  zone: string | undefined,
): Locality {
  const fromLabel = localityFromPodLabel(pod?.labels[POD_LOCALITY_LABEL]);
  if (fromLabel) return fromLabel;
  const node = nodeName ? cluster.nodes.get(nodeName) : undefined;
  if (node) return node.locality;
  return zone ? { ...NO_LOCALITY, zone } : NO_LOCALITY;
}

function tlsModeOf(pod: PodRecord | undefined): TlsMode {
  return pod?.labels[TLS_MODE_LABEL] === 'istio' ? 'istio' : 'disabled';
}

function compareEndpoints(a: WorkloadEndpoint, b: WorkloadEndpoint): number {
  return a.kubeCluster.localeCompare(b.kubeCluster) || a.address.localeCompare(b.address) || a.port - b.port;
}
