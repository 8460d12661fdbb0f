import { serviceHostname } from './hostnames.ts';
import { EMPTY_ISTIO_CONFIG } from './istio/config-set.ts';
import type { KubeClusterObjects, SnapshotInput } from './inputs.ts';
import { localityFromPodLabel, POD_LOCALITY_LABEL, NO_LOCALITY } from './locality.ts';
import { NetworkResolver, resolveGateways } from './networks.ts';
import type {
  EndpointSliceRecord,
  SliceEndpointRecord,
  KubeServiceRecord,
  Locality,
  MeshService,
  MeshSnapshot,
  PodRecord,
  ProxyWorkload,
  ServicePort,
  TlsMode,
  WorkloadEndpoint,
} from './types.ts';

export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

/**
 * What a build remembers for the next one: per service, the input records it was built from
 * (compared by identity: the kube cluster stores keep unchanged records as the same objects)
 * and what it produced. A build then re-derives only services whose inputs changed.
 */
export interface SnapshotMemo {
  readonly settings: readonly unknown[];
  readonly services: ReadonlyMap<string, ServiceMemo>;
  readonly workloads: {
    readonly inputs: readonly unknown[];
    readonly byIp: ReadonlyMap<string, readonly ProxyWorkload[]>;
  };
}

interface ServiceMemo {
  readonly inputs: readonly unknown[];
  readonly service: MeshService;
  readonly endpoints: ReadonlyMap<number, readonly WorkloadEndpoint[]>;
}

/** Builds the immutable mesh snapshot from every kube cluster's reduced objects. Pure. */
export function buildSnapshot(input: SnapshotInput): MeshSnapshot {
  return buildSnapshotIncremental(input, undefined).snapshot;
}

/** buildSnapshot, reusing the previous build's results for every service whose inputs are the same objects. Pure. */
export function buildSnapshotIncremental(
  input: SnapshotInput,
  memo: SnapshotMemo | undefined,
): { snapshot: MeshSnapshot; memo: SnapshotMemo } {
  const resolver = new NetworkResolver(input.meshNetworks, input.kubeClusters);
  const kubeClusters = [...input.kubeClusters].sort((a, b) => a.name.localeCompare(b.name));
  const settings = [input.meshNetworks, input.domainSuffix, ...kubeClusters.map((c) => `${c.name}=${c.network ?? ''}`)];
  const reusable = memo && sameRefs(memo.settings, settings) ? memo.services : undefined;

  const merged = new Map<string, { cluster: KubeClusterObjects; service: KubeServiceRecord }[]>();
  for (const cluster of kubeClusters) {
    for (const service of cluster.services.values()) {
      const hostname = serviceHostname(service.name, service.namespace, input.domainSuffix);
      const records = merged.get(hostname) ?? [];
      records.push({ cluster, service });
      merged.set(hostname, records);
    }
  }
  const slicesByService = new Map(kubeClusters.map((cluster) => [cluster.name, indexSlices(cluster)]));

  const services = new Map<string, MeshService>();
  const endpoints = new Map<string, ReadonlyMap<number, readonly WorkloadEndpoint[]>>();
  const nextMemo = new Map<string, ServiceMemo>();
  for (const hostname of [...merged.keys()].sort()) {
    const records = merged.get(hostname)!;
    const inputs = serviceInputs(records, slicesByService);
    const previous = reusable?.get(hostname);
    const built =
      previous && sameRefs(previous.inputs, inputs)
        ? previous
        : { inputs, ...buildService(hostname, records, slicesByService, resolver) };
    nextMemo.set(hostname, built);
    services.set(hostname, built.service);
    endpoints.set(hostname, built.endpoints);
  }

  const workloadInputs = kubeClusters.flatMap((c) => [c.name, ...c.pods.values(), ...c.nodes.values()]);
  const workloads =
    reusable && memo && sameRefs(memo.workloads.inputs, workloadInputs)
      ? memo.workloads
      : { inputs: workloadInputs, byIp: workloadsByIp(kubeClusters, resolver) };

  return {
    snapshot: {
      domainSuffix: input.domainSuffix,
      trustDomain: input.trustDomain,
      services,
      endpoints,
      gateways: resolveGateways(input.meshNetworks, kubeClusters, input.domainSuffix),
      workloadsByIp: workloads.byIp,
      kubeClusters: kubeClusters.map((c) => c.name),
      istioConfig: input.istioConfig ?? EMPTY_ISTIO_CONFIG,
    },
    memo: { settings, services: nextMemo, workloads },
  };
}

function podOf(
  cluster: KubeClusterObjects,
  slice: EndpointSliceRecord,
  endpoint: SliceEndpointRecord,
): PodRecord | undefined {
  const key = endpoint.podKey ?? (endpoint.podName ? `${slice.namespace}/${endpoint.podName}` : undefined);
  return key ? cluster.pods.get(key) : undefined;
}

function sameRefs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

type SliceIndex = ReadonlyMap<string, readonly EndpointSliceRecord[]>;

/** A kube cluster's EndpointSlices by `namespace/service`, so each service finds its own at once. */
function indexSlices(cluster: KubeClusterObjects): SliceIndex {
  const index = new Map<string, EndpointSliceRecord[]>();
  for (const slice of cluster.endpointSlices.values()) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const key = `${slice.namespace}/${slice.serviceName}`;
    const list = index.get(key) ?? [];
    list.push(slice);
    index.set(key, list);
  }
  return index;
}

function slicesOf(records: SliceIndex | undefined, service: KubeServiceRecord): readonly EndpointSliceRecord[] {
  return records?.get(`${service.namespace}/${service.name}`) ?? [];
}

/** Every record a service's result depends on: its Service, EndpointSlices, and their pods and nodes. */
function serviceInputs(
  records: readonly { cluster: KubeClusterObjects; service: KubeServiceRecord }[],
  slices: ReadonlyMap<string, SliceIndex>,
): unknown[] {
  const inputs: unknown[] = [];
  for (const { cluster, service } of records) {
    inputs.push(cluster.name, service);
    for (const slice of slicesOf(slices.get(cluster.name), service)) {
      inputs.push(slice);
      for (const endpoint of slice.endpoints) {
        const pod = podOf(cluster, slice, endpoint);
        const nodeName = endpoint.nodeName ?? pod?.nodeName;
        inputs.push(pod, nodeName ? cluster.nodes.get(nodeName) : undefined);
      }
    }
  }
  return inputs;
}

function buildService(
  hostname: string,
  records: readonly { cluster: KubeClusterObjects; service: KubeServiceRecord }[],
  slices: ReadonlyMap<string, SliceIndex>,
  resolver: NetworkResolver,
): { service: MeshService; endpoints: ReadonlyMap<number, readonly WorkloadEndpoint[]> } {
  const byPort = new Map<number, WorkloadEndpoint[]>();
  const ports = mergePorts(records.map((r) => r.service));
  for (const { cluster, service } of records) {
    for (const endpoint of endpointsOf(cluster, slicesOf(slices.get(cluster.name), service), resolver)) {
      const port = ports.find(
        (p) => p.name === endpoint.servicePortName || (ports.length === 1 && endpoint.servicePortName === ''),
      );
      if (!port) continue;
      let list = byPort.get(port.port);
      if (!list) byPort.set(port.port, (list = []));
      list.push(endpoint);
    }
  }
  for (const list of byPort.values()) list.sort(compareEndpoints);
  const first = records[0]!.service;
  const vips: Record<string, string> = {};
  for (const { cluster, service } of records) if (service.clusterIP) vips[cluster.name] = service.clusterIP;
  const serviceAccounts = new Set<string>();
  for (const list of byPort.values()) for (const e of list) if (e.serviceAccount) serviceAccounts.add(e.serviceAccount);
  const trafficDistribution = records.find((r) => r.service.trafficDistribution)?.service.trafficDistribution;
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

function localityOf(
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

function workloadsByIp(
  kubeClusters: readonly KubeClusterObjects[],
  resolver: NetworkResolver,
): ReadonlyMap<string, readonly ProxyWorkload[]> {
  const out = new Map<string, ProxyWorkload[]>();
  for (const cluster of kubeClusters) {
    for (const pod of cluster.pods.values()) {
      if (!pod.ip) continue;
      const list = out.get(pod.ip) ?? [];
      list.push({
        kubeCluster: cluster.name,
        pod,
        network: resolver.networkOf(cluster.name, pod.ip, pod),
        locality: localityOf(cluster, pod, pod.nodeName, undefined),
      });
      out.set(pod.ip, list);
    }
  }
  return out;
}
