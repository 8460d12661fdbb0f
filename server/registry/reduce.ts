import { localityFromNodeLabels } from '../../model/locality.ts';
import type {
  EndpointSliceRecord,
  KubeServiceRecord,
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
function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function metadataOf(object: unknown): { name: string; namespace: string; labels: Record<string, string> } {
  const metadata = record(record(object).metadata);
  return {
    name: str(metadata.name) ?? '',
    namespace: str(metadata.namespace) ?? 'default',
    labels: stringMap(metadata.labels),
  };
}

export function reduceService(object: unknown): KubeServiceRecord {
  const { name, namespace, labels } = metadataOf(object);
  const spec = record(record(object).spec);
  const status = record(record(object).status);
  const clusterIP = str(spec.clusterIP);
  const ports: ServicePort[] = list(spec.ports).map((raw) => {
    const port = record(raw);
    const targetPort = port.targetPort;
    return {
      name: str(port.name) ?? '',
      port: Number(port.port),
      ...(typeof targetPort === 'number' || typeof targetPort === 'string' ? { targetPort } : {}),
      protocol: str(port.protocol) ?? 'TCP',
      ...(str(port.appProtocol) ? { appProtocol: str(port.appProtocol) } : {}),
      ...(typeof port.nodePort === 'number' ? { nodePort: port.nodePort } : {}),
    };
  });
  const loadBalancerIPs = list(record(status.loadBalancer).ingress)
    .map((ingress) => str(record(ingress).ip))
    .filter((ip): ip is string => ip !== undefined);
  return {
    namespace,
    name,
    labels,
    type: str(spec.type) ?? 'ClusterIP',
    ...(clusterIP && clusterIP !== 'None' ? { clusterIP } : {}),
    headless: clusterIP === 'None',
    ports,
    ...(str(spec.trafficDistribution) ? { trafficDistribution: str(spec.trafficDistribution) } : {}),
    loadBalancerIPs,
    externalIPs: list(spec.externalIPs).filter((ip): ip is string => typeof ip === 'string'),
  };
}

export function reduceEndpointSlice(object: unknown): EndpointSliceRecord {
  const { name, namespace, labels } = metadataOf(object);
  const raw = record(object);
  const endpoints: SliceEndpointRecord[] = list(raw.endpoints).map((value) => {
    const endpoint = record(value);
    const conditions = record(endpoint.conditions);
    const ready = bool(conditions.ready, true);
    const targetRef = record(endpoint.targetRef);
    const podName = str(targetRef.kind) === 'Pod' ? str(targetRef.name) : undefined;
    return {
      addresses: list(endpoint.addresses).filter((a): a is string => typeof a === 'string'),
      ready,
      serving: bool(conditions.serving, ready),
      terminating: bool(conditions.terminating, false),
      ...(str(endpoint.nodeName) ? { nodeName: str(endpoint.nodeName) } : {}),
      ...(str(endpoint.zone) ? { zone: str(endpoint.zone) } : {}),
      ...(podName ? { podName, podKey: `${str(targetRef.namespace) ?? namespace}/${podName}` } : {}),
    };
  });
  return {
    namespace,
    name,
    serviceName: labels['kubernetes.io/service-name'] ?? '',
    addressType: str(raw.addressType) ?? 'IPv4',
    ports: list(raw.ports).map((value) => {
      const port = record(value);
      return { name: str(port.name) ?? '', port: Number(port.port), protocol: str(port.protocol) ?? 'TCP' };
    }),
    endpoints,
  };
}

export function reducePod(object: unknown): PodRecord {
  const { name, namespace, labels } = metadataOf(object);
  const spec = record(record(object).spec);
  const status = record(record(object).status);
  const ip = str(status.podIP);
  const nodeName = str(spec.nodeName);
  return {
    namespace,
    name,
    ...(ip ? { ip } : {}),
    labels,
    serviceAccount: str(spec.serviceAccountName) ?? str(spec.serviceAccount) ?? 'default',
    ...(nodeName ? { nodeName } : {}),
  };
}

export function reduceNode(object: unknown): NodeRecord {
  const { name, labels } = metadataOf(object);
  const addresses = list(record(record(object).status).addresses).map(record);
  const ofType = (type: string): string[] =>
    addresses
      .filter((a) => a.type === type)
      .map((a) => str(a.address))
      .filter((a): a is string => a !== undefined);
  return {
    name,
    locality: localityFromNodeLabels(labels),
    internalIPs: ofType('InternalIP'),
    externalIPs: ofType('ExternalIP'),
  };
}
