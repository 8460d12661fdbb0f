import { localityFromNodeLabels } from '../../model/locality.ts';
import { isValidAddress, isValidPort, isValidProtocol, validLabels } from './input-checks.ts';
import type {
  EndpointSliceRecord,
  KubeServiceRecord,
  NamespaceRecord,
  NodeRecord,
  PodRecord,
  ServicePort,
  SliceEndpointRecord,
} from '../../model/types.ts';

/**
 * Reduces raw Kubernetes objects (parsed YAML or client-node objects, same JSON field names) to
 * the records the model needs, as they arrive, so no full object is ever kept
 * (istio/istio#41658: most of istiod's memory after 10 clusters was the pod cache).
 */

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}
function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(record(value))) if (typeof v === 'string') out[key] = v;
  return out;
}
/** An RFC 3339 time (string from YAML, Date from client-node) in one form, so times compare as strings. */
function timestamp(value: unknown): string | undefined {
  const time = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function metadataOf(object: unknown): {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const metadata = record(record(object).metadata);
  return {
    name: str(metadata.name) ?? '',
    namespace: str(metadata.namespace) ?? 'default',
    labels: stringMap(metadata.labels),
    annotations: stringMap(metadata.annotations),
  };
}

export const NODE_SELECTOR_ANNOTATION = 'traffic.istio.io/nodeSelector';
export const TRAFFIC_DISTRIBUTION_ANNOTATION = 'networking.istio.io/traffic-distribution';
const NETWORK_LABEL = 'topology.istio.io/network';

/** Istio's getNodeSelectorsForService: the annotation's JSON label map; unreadable = no selector = every node. */
function nodeSelectorOf(annotations: Record<string, string>): { nodeSelector?: Record<string, string> } {
  const text = annotations[NODE_SELECTOR_ANNOTATION];
  if (text === undefined) return {};
  try {
    return { nodeSelector: stringMap(JSON.parse(text)) };
  } catch {
    return { nodeSelector: {} };
  }
}

/** spec.trafficDistribution, else Istio's legacy networking.istio.io/traffic-distribution annotation. */
function trafficDistributionOf(spec: Json, annotations: Record<string, string>): { trafficDistribution?: string } {
  const value = str(spec.trafficDistribution) ?? str(annotations[TRAFFIC_DISTRIBUTION_ANNOTATION]);
  return value ? { trafficDistribution: value } : {};
}

/** `dropped` only when something was: records of valid objects stay as they were. */
function droppedField(problems: readonly string[]): { dropped?: readonly string[] } {
  return problems.length > 0 ? { dropped: problems } : {};
}

export function reduceService(object: unknown): KubeServiceRecord {
  const problems: string[] = [];
  const { name, namespace, labels: rawLabels, annotations } = metadataOf(object);
  const labels = validLabels(rawLabels, problems);
  const spec = record(record(object).spec);
  const status = record(record(object).status);
  const clusterIP = str(spec.clusterIP);
  const ports: ServicePort[] = [];
  for (const raw of list(spec.ports)) {
    const port = record(raw);
    const targetPort = port.targetPort;
    const number = Number(port.port);
    const protocol = str(port.protocol) ?? 'TCP';
    if (!isValidPort(number)) {
      problems.push(`port ${JSON.stringify(port.port)}: not a port number (1-65535)`);
      continue;
    }
    if (!isValidProtocol(protocol)) {
      problems.push(`port ${number}: unknown protocol ${JSON.stringify(protocol)}`);
      continue;
    }
    if (typeof targetPort === 'number' && !isValidPort(targetPort)) {
      problems.push(`port ${number}: targetPort ${targetPort} is not a port number (1-65535)`);
      continue;
    }
    ports.push({
      name: str(port.name) ?? '',
      port: number,
      ...(typeof targetPort === 'number' || typeof targetPort === 'string' ? { targetPort } : {}),
      protocol,
      ...(str(port.appProtocol) ? { appProtocol: str(port.appProtocol) } : {}),
      ...(typeof port.nodePort === 'number' ? { nodePort: port.nodePort } : {}),
    });
  }
  const ingresses = list(record(status.loadBalancer).ingress).map(record);
  const loadBalancerIPs = ingresses.map((ingress) => str(ingress.ip)).filter((ip): ip is string => ip !== undefined);
  // As Istio (kube/conversion.go): an ingress's hostname only when it has no IP.
  const loadBalancerHostnames = ingresses
    .filter((ingress) => str(ingress.ip) === undefined)
    .map((ingress) => str(ingress.hostname))
    .filter((host): host is string => host !== undefined);
  return {
    namespace,
    name,
    labels,
    type: str(spec.type) ?? 'ClusterIP',
    ...(clusterIP && clusterIP !== 'None' ? { clusterIP } : {}),
    headless: clusterIP === 'None',
    ports,
    ...trafficDistributionOf(spec, annotations),
    loadBalancerIPs,
    ...(loadBalancerHostnames.length > 0 ? { loadBalancerHostnames } : {}),
    externalIPs: list(spec.externalIPs).filter((ip): ip is string => typeof ip === 'string'),
    ...nodeSelectorOf(annotations),
    ...selectorOf(spec),
    ...droppedField(problems),
  };
}

/** spec.selector, when it selects anything: what picks the WorkloadEntries a Service adds as endpoints (as Istio). */
function selectorOf(spec: Record<string, unknown>): { selector?: Record<string, string> } {
  const selector = stringMap(spec.selector);
  return Object.keys(selector).length > 0 ? { selector } : {};
}

export function reduceEndpointSlice(object: unknown): EndpointSliceRecord {
  const { name, namespace, labels } = metadataOf(object);
  const raw = record(object);
  const created = record(raw.metadata).creationTimestamp;
  const createdAt = timestamp(created);
  const addressType = str(raw.addressType) ?? 'IPv4';
  const problems: string[] = [];
  const endpoints: SliceEndpointRecord[] = list(raw.endpoints).map((value) => {
    const endpoint = record(value);
    const conditions = record(endpoint.conditions);
    const ready = bool(conditions.ready, true);
    const targetRef = record(endpoint.targetRef);
    const podName = str(targetRef.kind) === 'Pod' ? str(targetRef.name) : undefined;
    return {
      addresses: list(endpoint.addresses).filter((a): a is string => {
        if (typeof a === 'string' && isValidAddress(a, addressType)) return true;
        problems.push(`address ${JSON.stringify(a)}: not an ${addressType} address`);
        return false;
      }),
      ready,
      serving: bool(conditions.serving, ready),
      // Absent on a not-ready endpoint: terminating, as Istio's endpointHealthStatus reads it (such an
      // endpoint is never sent; a not-ready one that says terminating: false is sent UNHEALTHY).
      terminating: bool(conditions.terminating, !ready),
      ...(str(endpoint.nodeName) ? { nodeName: str(endpoint.nodeName) } : {}),
      ...(str(endpoint.zone) ? { zone: str(endpoint.zone) } : {}),
      ...(podName ? { podName, podKey: `${str(targetRef.namespace) ?? namespace}/${podName}` } : {}),
    };
  });
  return {
    namespace,
    name,
    serviceName: labels['kubernetes.io/service-name'] ?? '',
    addressType,
    ...(createdAt ? { createdAt } : {}),
    ports: list(raw.ports).flatMap((value) => {
      const port = record(value);
      const number = Number(port.port);
      const protocol = str(port.protocol) ?? 'TCP';
      if (!isValidPort(number) || !isValidProtocol(protocol)) {
        problems.push(`port ${JSON.stringify(port.port)}/${protocol}: not a valid port and protocol`);
        return [];
      }
      return [{ name: str(port.name) ?? '', port: number, protocol }];
    }),
    endpoints,
    ...droppedField(problems),
  };
}

export function reducePod(object: unknown): PodRecord {
  const problems: string[] = [];
  const { name, namespace, labels: rawLabels } = metadataOf(object);
  const labels = validLabels(rawLabels, problems);
  const spec = record(record(object).spec);
  const status = record(record(object).status);
  let ip = str(status.podIP);
  if (ip !== undefined && !isValidAddress(ip, 'any')) {
    problems.push(`podIP ${JSON.stringify(ip)}: not an IP address`);
    ip = undefined;
  }
  const nodeName = str(spec.nodeName);
  const containerPorts = namedContainerPorts(spec);
  return {
    namespace,
    name,
    ...(ip ? { ip } : {}),
    labels,
    serviceAccount: str(spec.serviceAccountName) ?? str(spec.serviceAccount) ?? 'default',
    ...(nodeName ? { nodeName } : {}),
    ...(podReady(object) ? { ready: true } : {}),
    ...(containerPorts ? { containerPorts } : {}),
    ...droppedField(problems),
  };
}

/** Istio's shouldPodBeInEndpoints && IsPodReady: not terminal, not being deleted, condition Ready True. */
function podReady(object: unknown): boolean {
  const status = record(record(object).status);
  const phase = str(status.phase);
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (record(record(object).metadata).deletionTimestamp != null) return false;
  return list(status.conditions)
    .map(record)
    .some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Istio's getPortMap: each container's named TCP ports (protocol absent = TCP), the first of a name wins. */
function namedContainerPorts(spec: Record<string, unknown>): Record<string, number> | undefined {
  const out = new Map<string, number>();
  for (const container of list(spec.containers).map(record)) {
    for (const port of list(container.ports).map(record)) {
      const portName = str(port.name);
      const number = port.containerPort;
      if (portName === undefined || portName === '' || (str(port.protocol) ?? 'TCP') !== 'TCP') continue;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) continue;
      if (!out.has(portName)) out.set(portName, number);
    }
  }
  return out.size > 0 ? Object.fromEntries(out) : undefined;
}

export function reduceNode(object: unknown): NodeRecord {
  const { name, labels } = metadataOf(object);
  const addresses = list(record(record(object).status).addresses).map(record);
  const ofType = (type: string): string[] =>
    addresses
      .filter((a) => a.type === type)
      .map((a) => str(a.address))
      .filter((a): a is string => a !== undefined);
  const kubeletVersion = str(record(record(record(object).status).nodeInfo).kubeletVersion);
  return {
    name,
    labels,
    locality: localityFromNodeLabels(labels),
    internalIPs: ofType('InternalIP'),
    externalIPs: ofType('ExternalIP'),
    ...(kubeletVersion !== undefined ? { kubeletVersion } : {}),
  };
}

export function reduceNamespace(object: unknown): NamespaceRecord {
  const { name, labels, annotations } = metadataOf(object);
  const network = labels[NETWORK_LABEL];
  const trafficDistribution = annotations[TRAFFIC_DISTRIBUTION_ANNOTATION];
  return { name, ...(network ? { network } : {}), ...(trafficDistribution ? { trafficDistribution } : {}) };
}
