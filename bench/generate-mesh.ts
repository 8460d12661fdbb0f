import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * Writes a generated mesh as manifest folders (one folder per kube cluster, one JSON file per
 * service, watched by meshpilot's file registry) plus a meshpilot config, and edits it in place.
 *
 * Layout: kube clusters kc-1 (network-1, region-1/zone-a), kc-2 (network-2, region-2/zone-b),
 * kc-3 (network-1, region-1/zone-c); every service exists in every kube cluster with
 * `endpointsPerKubeCluster` ready, mTLS-labelled pods; each network has one east-west gateway, so
 * proxies of the other network see gateway endpoints weighted by the endpoints they stand for.
 */

export interface MeshShape {
  readonly services: number;
  readonly kubeClusters: number;
  readonly endpointsPerKubeCluster: number;
}

export interface KubeClusterLayout {
  readonly name: string;
  readonly network: string;
  readonly region: string;
  readonly zone: string;
  readonly dir: string;
}

export interface ServiceLayout {
  readonly name: string;
  readonly namespace: string;
  readonly port: number;
  /** The Envoy cluster (and EDS resource) name meshpilot gives the service's port. */
  readonly envoyCluster: string;
}

export const SERVICE_PORT = 8080;
const EXTRA_PORT = 9090;
const NAMESPACES = 10;
const KUBE_CLUSTER_TEMPLATES = [
  { network: 'network-1', region: 'region-1', zone: 'zone-a' },
  { network: 'network-2', region: 'region-2', zone: 'zone-b' },
  { network: 'network-1', region: 'region-1', zone: 'zone-c' },
] as const;
const GATEWAYS: Readonly<Record<string, string>> = { 'network-1': '192.0.2.1', 'network-2': '192.0.2.2' };

export function serviceLayout(index: number): ServiceLayout {
  const name = `svc-${String(index).padStart(4, '0')}`;
  const namespace = `ns-${index % NAMESPACES}`;
  return {
    name,
    namespace,
    port: SERVICE_PORT,
    envoyCluster: `outbound|${SERVICE_PORT}||${name}.${namespace}.svc.cluster.local`,
  };
}

function endpointIp(kubeCluster: number, service: number, endpoint: number, perKubeCluster: number): string {
  const index = service * (perKubeCluster + 1) + endpoint;
  return `10.${100 + kubeCluster}.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

interface ServiceState {
  probe: boolean;
  extraPort: boolean;
}

/** A generated mesh on disk. Edits rewrite one service's file in one kube cluster, atomically. */
export class GeneratedMesh {
  readonly root: string;
  readonly configPath: string;
  readonly shape: MeshShape;
  readonly kubeClusters: readonly KubeClusterLayout[];
  readonly services: readonly ServiceLayout[];
  private readonly state = new Map<string, ServiceState>();
  private writes = 0;

  private constructor(root: string, shape: MeshShape) {
    if (shape.kubeClusters < 1 || shape.kubeClusters > KUBE_CLUSTER_TEMPLATES.length) {
      throw new RangeError(
        `MESHPILOT_BENCH_ERR_SHAPE: kubeClusters must be 1..${KUBE_CLUSTER_TEMPLATES.length}, got ${shape.kubeClusters}`,
      );
    }
    if (shape.services < 1 || shape.services > 5_000)
      throw new RangeError(`MESHPILOT_BENCH_ERR_SHAPE: services must be 1..5000, got ${shape.services}`);
    if (shape.endpointsPerKubeCluster < 1 || shape.endpointsPerKubeCluster > 50) {
      throw new RangeError(
        `MESHPILOT_BENCH_ERR_SHAPE: endpointsPerKubeCluster must be 1..50, got ${shape.endpointsPerKubeCluster}`,
      );
    }
    this.root = root;
    this.shape = shape;
    this.configPath = join(root, 'meshpilot.yaml');
    this.kubeClusters = KUBE_CLUSTER_TEMPLATES.slice(0, shape.kubeClusters).map((t, i) => ({
      name: `kc-${i + 1}`,
      ...t,
      dir: join(root, `kc-${i + 1}`),
    }));
    this.services = Array.from({ length: shape.services }, (_, i) => serviceLayout(i));
  }

  /** Writes every manifest and the config (debounce and log level as given) under `root`. */
  static async write(
    root: string,
    shape: MeshShape,
    options: { debounce: { quietMs: number; maxMs: number }; logLevel: string },
  ): Promise<GeneratedMesh> {
    const mesh = new GeneratedMesh(root, shape);
    for (const [k, kubeCluster] of mesh.kubeClusters.entries()) {
      await mkdir(kubeCluster.dir, { recursive: true });
      await writeFile(join(kubeCluster.dir, 'nodes.json'), JSON.stringify(mesh.nodesList(k, kubeCluster)));
      const files = mesh.services.map((_, s) => mesh.serviceFile(k, s));
      for (let i = 0; i < files.length; i += 64)
        await Promise.all(files.slice(i, i + 64).map((file) => writeFile(file.path, file.text)));
    }
    await writeFile(
      mesh.configPath,
      stringify({
        clusters: mesh.kubeClusters.map((c) => ({ name: c.name, network: c.network, manifests: c.dir })),
        meshNetworks: mesh.meshNetworks(),
        debounce: options.debounce,
        logLevel: options.logLevel,
      }),
    );
    return mesh;
  }

  /** meshNetworks of the config: one network per distinct network, its kube clusters and its east-west gateway. */
  meshNetworks(): { networks: Record<string, unknown> } {
    const networks = Object.fromEntries(
      [...new Set(this.kubeClusters.map((c) => c.network))].map((network) => [
        network,
        {
          endpoints: this.kubeClusters.filter((c) => c.network === network).map((c) => ({ fromRegistry: c.name })),
          gateways: [{ address: GATEWAYS[network]!, port: 15443 }],
        },
      ]),
    );
    return { networks };
  }

  private stateOf(kubeCluster: number, service: number): ServiceState {
    const key = `${kubeCluster}/${service}`;
    let state = this.state.get(key);
    if (!state) this.state.set(key, (state = { probe: false, extraPort: false }));
    return state;
  }

  private nodesList(k: number, kubeCluster: KubeClusterLayout): { items: unknown[] } & Record<string, unknown> {
    const labels = {
      'topology.kubernetes.io/region': kubeCluster.region,
      'topology.kubernetes.io/zone': kubeCluster.zone,
    };
    const items = [0, 1].map((n) => ({ metadata: { name: `node-${k + 1}-${n}`, labels } }));
    return { apiVersion: 'v1', kind: 'NodeList', items };
  }

  /** The Kubernetes objects of service `s` in kube cluster `k` as they stand (Service, EndpointSlice, Pods). */
  serviceObjects(k: number, s: number): Record<string, unknown>[] {
    const service = this.services[s]!;
    const state = this.stateOf(k, s);
    const count = this.shape.endpointsPerKubeCluster + (state.probe ? 1 : 0);
    const ports = [{ name: 'http', port: SERVICE_PORT, targetPort: SERVICE_PORT, protocol: 'TCP' }];
    if (state.extraPort) ports.push({ name: 'http-extra', port: EXTRA_PORT, targetPort: EXTRA_PORT, protocol: 'TCP' });
    const pods = Array.from({ length: count }, (_, e) => ({
      name: `${service.name}-${k + 1}-${e}`,
      ip: endpointIp(k, s, e, this.shape.endpointsPerKubeCluster),
      node: `node-${k + 1}-${e % 2}`,
    }));
    const meta = { namespace: service.namespace };
    const items: Record<string, unknown>[] = [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: service.name, ...meta },
        spec: {
          clusterIP: `10.96.${1 + Math.floor(s / 250)}.${(s % 250) + 1}`,
          selector: { app: service.name },
          ports,
        },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${service.name}-slice`, ...meta, labels: { 'kubernetes.io/service-name': service.name } },
        addressType: 'IPv4',
        ports: ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: 'TCP' })),
        endpoints: pods.map((pod) => ({
          addresses: [pod.ip],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: pod.node,
          targetRef: { kind: 'Pod', name: pod.name, namespace: service.namespace },
        })),
      },
      ...pods.map((pod) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod.name, ...meta, labels: { app: service.name, 'security.istio.io/tlsMode': 'istio' } },
        spec: { serviceAccountName: service.name, nodeName: pod.node },
        status: { podIP: pod.ip, phase: 'Running' },
      })),
    ];
    return items;
  }

  /** The Node objects of kube cluster `k` (their labels give the pods' locality). */
  nodeObjects(k: number): Record<string, unknown>[] {
    return this.nodesList(k, this.kubeClusters[k]!).items.map((node) => ({
      apiVersion: 'v1',
      kind: 'Node',
      ...(node as Record<string, unknown>),
    }));
  }

  /** Flips the extra endpoint of service `s` in kube cluster `k` without writing anything (for other sources). */
  flipEndpoint(k: number, s: number): void {
    const state = this.stateOf(k, s);
    state.probe = !state.probe;
  }

  /** Flips the extra port of service `s` in kube cluster `k` without writing anything (for other sources). */
  flipServicePort(k: number, s: number): void {
    const state = this.stateOf(k, s);
    state.extraPort = !state.extraPort;
  }

  private serviceFile(k: number, s: number): { path: string; text: string } {
    const items = this.serviceObjects(k, s);
    const dir = this.kubeClusters[k]!.dir;
    const name = this.services[s]!.name;
    return { path: join(dir, `${name}.json`), text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) };
  }

  /** Rewrites one service file atomically (temp dot-file + rename: the registry skips dot-files). */
  private async rewrite(k: number, s: number): Promise<void> {
    const file = this.serviceFile(k, s);
    this.writes += 1;
    const temp = join(this.kubeClusters[k]!.dir, `.bench-${this.writes}.tmp`);
    await writeFile(temp, file.text);
    await rename(temp, file.path);
  }

  /**
   * An endpoint change: adds or removes one extra endpoint of service `s` in kube cluster `k`.
   * Every proxy view sees it (same network: the address; other network: the gateway's weight).
   */
  async toggleEndpoint(k: number, s: number): Promise<void> {
    const state = this.stateOf(k, s);
    state.probe = !state.probe;
    await this.rewrite(k, s);
  }

  /** A service change: adds or removes a second port, so every proxy's CDS changes (a full push). */
  async toggleServicePort(k: number, s: number): Promise<void> {
    const state = this.stateOf(k, s);
    state.extraPort = !state.extraPort;
    await this.rewrite(k, s);
  }
}
