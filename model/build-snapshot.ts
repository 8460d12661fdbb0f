import { serviceHostname } from './hostnames.ts';
import { EMPTY_ISTIO_CONFIG } from './istio/config-set.ts';
import type { KubeClusterObjects, SnapshotInput } from './inputs.ts';
import { localityFromPodLabel, POD_LOCALITY_LABEL, NO_LOCALITY } from './locality.ts';
import { NetworkResolver, resolveGateways } from './networks.ts';
import type {
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

/** Builds the immutable mesh snapshot from every kube cluster's reduced objects. Pure. */
export function buildSnapshot(input: SnapshotInput): MeshSnapshot {
  const resolver = new NetworkResolver(input.meshNetworks, input.kubeClusters);
  const kubeClusters = [...input.kubeClusters].sort((a, b) => a.name.localeCompare(b.name));

  const merged = new Map<string, { records: { cluster: string; service: KubeServiceRecord }[] }>();
  for (const cluster of kubeClusters) {
    for (const service of cluster.services.values()) {
      const hostname = serviceHostname(service.name, service.namespace, input.domainSuffix);
      let entry = merged.get(hostname);
      if (!entry) merged.set(hostname, (entry = { records: [] }));
      entry.records.push({ cluster: cluster.name, service });
    }
  }

  const services = new Map<string, MeshService>();
  const endpoints = new Map<string, Map<number, WorkloadEndpoint[]>>();
  for (const hostname of [...merged.keys()].sort()) {
    const records = merged.get(hostname)!.records;
    const byPort = new Map<number, WorkloadEndpoint[]>();
    const ports = mergePorts(records.map((r) => r.service));
    for (const { cluster, service } of records) {
      const objects = kubeClusters.find((c) => c.name === cluster)!;
      for (const endpoint of endpointsOf(objects, service, resolver)) {
        const port = ports.find((p) => p.name === endpoint.servicePortName || (ports.length === 1 && endpoint.servicePortName === ''));
        if (!port) continue;
        let list = byPort.get(port.port);
        if (!list) byPort.set(port.port, (list = []));
        list.push(endpoint);
      }
    }
    for (const list of byPort.values()) list.sort(compareEndpoints);
    const first = records[0]!.service;
    const vips: Record<string, string> = {};
    for (const { cluster, service } of records) if (service.clusterIP) vips[cluster] = service.clusterIP;
    const serviceAccounts = new Set<string>();
    for (const list of byPort.values()) for (const e of list) if (e.serviceAccount) serviceAccounts.add(e.serviceAccount);
    services.set(hostname, {
      hostname,
      namespace: first.namespace,
      name: first.name,
      ports,
      vips,
      headless: records.every((r) => r.service.headless),
      kubeClusters: records.map((r) => r.cluster),
      serviceAccounts: [...serviceAccounts].sort(),
    });
    endpoints.set(hostname, byPort);
  }

  return {
    domainSuffix: input.domainSuffix,
    trustDomain: input.trustDomain,
    services,
    endpoints,
    gateways: resolveGateways(input.meshNetworks, kubeClusters, input.domainSuffix),
    workloadsByIp: workloadsByIp(kubeClusters, resolver),
    kubeClusters: kubeClusters.map((c) => c.name),
    istioConfig: input.istioConfig ?? EMPTY_ISTIO_CONFIG,
  };
}

/** Ports of a service present in several kube clusters: the union, by port number, first definition wins. */
function mergePorts(services: readonly KubeServiceRecord[]): ServicePort[] {
  const byNumber = new Map<number, ServicePort>();
  for (const service of services) for (const port of service.ports) if (!byNumber.has(port.port)) byNumber.set(port.port, port);
  return [...byNumber.values()].sort((a, b) => a.port - b.port);
}

function endpointsOf(cluster: KubeClusterObjects, service: KubeServiceRecord, resolver: NetworkResolver): WorkloadEndpoint[] {
  const out: WorkloadEndpoint[] = [];
  for (const slice of cluster.endpointSlices.values()) {
    if (slice.namespace !== service.namespace || slice.serviceName !== service.name) continue;
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    for (const slicePort of slice.ports) {
      for (const endpoint of slice.endpoints) {
        const pod = endpoint.podName ? cluster.pods.get(`${slice.namespace}/${endpoint.podName}`) : undefined;
        const nodeName = endpoint.nodeName ?? pod?.nodeName;
        for (const address of endpoint.addresses) {
          out.push({
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
          });
        }
      }
    }
  }
  return out;
}

function localityOf(cluster: KubeClusterObjects, pod: PodRecord | undefined, nodeName: string | undefined, zone: string | undefined): Locality {
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

function workloadsByIp(kubeClusters: readonly KubeClusterObjects[], resolver: NetworkResolver): Map<string, ProxyWorkload[]> {
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
