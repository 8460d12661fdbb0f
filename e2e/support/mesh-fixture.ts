import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Writes small kube clusters as manifest folders, for tests that run meshpilot on files. */

export interface FixtureEndpoint {
  readonly ip: string;
  readonly pod?: string;
  readonly node?: string;
  readonly ready?: boolean;
  readonly labels?: Record<string, string>;
  readonly serviceAccount?: string;
}

export interface FixtureService {
  readonly name: string;
  readonly namespace?: string;
  readonly port: number;
  readonly targetPort?: number;
  readonly portName?: string;
  readonly clusterIP?: string;
  /** spec.trafficDistribution (PreferClose: locality failover without a DestinationRule, as in Istio). */
  readonly trafficDistribution?: string;
  readonly endpoints: readonly FixtureEndpoint[];
}

export interface FixtureNode {
  readonly name: string;
  readonly region?: string;
  readonly zone?: string;
}

export function serviceManifests(service: FixtureService): Record<string, unknown>[] {
  const namespace = service.namespace ?? 'default';
  const portName = service.portName ?? 'grpc';
  const targetPort = service.targetPort ?? service.port;
  const docs: Record<string, unknown>[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: service.name, namespace },
      spec: {
        clusterIP: service.clusterIP ?? '10.96.0.10',
        selector: { app: service.name },
        ports: [{ name: portName, port: service.port, targetPort, protocol: 'TCP' }],
        ...(service.trafficDistribution ? { trafficDistribution: service.trafficDistribution } : {}),
      },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${service.name}-slice`, namespace, labels: { 'kubernetes.io/service-name': service.name } },
      addressType: 'IPv4',
      ports: [{ name: portName, port: targetPort, protocol: 'TCP' }],
      endpoints: service.endpoints.map((e, i) => ({
        addresses: [e.ip],
        conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: false },
        ...(e.node ? { nodeName: e.node } : {}),
        targetRef: { kind: 'Pod', name: e.pod ?? `${service.name}-${i}`, namespace },
      })),
    },
  ];
  for (const [i, e] of service.endpoints.entries()) {
    docs.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: e.pod ?? `${service.name}-${i}`, namespace, labels: { app: service.name, ...e.labels } },
      spec: { serviceAccountName: e.serviceAccount ?? service.name, ...(e.node ? { nodeName: e.node } : {}) },
      status: { podIP: e.ip, phase: 'Running' },
    });
  }
  return docs;
}

export function nodeManifest(node: FixtureNode): Record<string, unknown> {
  const labels: Record<string, string> = {};
  if (node.region) labels['topology.kubernetes.io/region'] = node.region;
  if (node.zone) labels['topology.kubernetes.io/zone'] = node.zone;
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: node.name, labels } };
}

/** An east-west gateway Service in istio-system, found as Istio finds one: labelled with its network. */
export interface FixtureGateway {
  readonly name?: string;
  readonly network: string;
  readonly type: 'LoadBalancer' | 'NodePort';
  readonly clusterIP: string;
  /** Its port named tls. */
  readonly port: number;
  readonly targetPort: number;
  readonly nodePort?: number;
  /** The networking.istio.io/gatewayPort label: the port other networks reach it on. */
  readonly gatewayPort?: number;
  readonly externalIPs?: readonly string[];
  /** status.loadBalancer.ingress[0].hostname (a LoadBalancer known only by name, as on AWS). */
  readonly ingressHostname?: string;
  /** The traffic.istio.io/nodeSelector annotation (JSON): a NodePort gateway is reached on these nodes' ExternalIPs. */
  readonly nodeSelector?: string;
}

export function eastWestGatewayManifest(gateway: FixtureGateway): Record<string, unknown> {
  const { gatewayPort, nodePort, nodeSelector, externalIPs, ingressHostname } = gateway;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: gateway.name ?? 'istio-eastwestgateway',
      namespace: 'istio-system',
      labels: {
        'topology.istio.io/network': gateway.network,
        ...(gatewayPort !== undefined ? { 'networking.istio.io/gatewayPort': String(gatewayPort) } : {}),
      },
      ...(nodeSelector !== undefined ? { annotations: { 'traffic.istio.io/nodeSelector': nodeSelector } } : {}),
    },
    spec: {
      type: gateway.type,
      clusterIP: gateway.clusterIP,
      ...(externalIPs ? { externalIPs } : {}),
      ports: [
        {
          name: 'tls',
          port: gateway.port,
          targetPort: gateway.targetPort,
          ...(nodePort !== undefined ? { nodePort } : {}),
          protocol: 'TCP',
        },
      ],
    },
    ...(ingressHostname !== undefined
      ? { status: { loadBalancer: { ingress: [{ hostname: ingressHostname }] } } }
      : {}),
  };
}

export function toYaml(docs: readonly Record<string, unknown>[]): string {
  return docs.map((doc) => stringify(doc)).join('---\n');
}

/** Writes manifests (objects, or YAML text as is) to `dir`/`file`, making `dir`; returns `dir`. */
export async function writeManifests(
  dir: string,
  manifests: readonly Record<string, unknown>[] | string,
  file = 'mesh.yaml',
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, file), typeof manifests === 'string' ? manifests : toYaml(manifests));
  return dir;
}

export async function writeCluster(
  dir: string,
  services: readonly FixtureService[],
  nodes: readonly FixtureNode[] = [],
): Promise<void> {
  await writeManifests(dir, [...nodes.map(nodeManifest), ...services.flatMap(serviceManifests)]);
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `meshpilot-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
