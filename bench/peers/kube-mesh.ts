import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startRealKubeClusters, type RealKubeCluster } from '../../e2e/support/real-kube-cluster.ts';
import { REPO_ROOT } from '../child-process.ts';
import { nowMs } from '../clock.ts';
import type { GeneratedMesh } from '../generate-mesh.ts';

/**
 * The bench's generated mesh served by real Kubernetes API servers (interop/kube-apiserver: etcd and
 * kube-apiserver, one pair per kube cluster, as e2e/support starts them), so that meshpilot and istiod
 * read the same member clusters through the same watches. Every object of the manifest folders is
 * created through the API (pods' podIP through the status subresource, as a kubelet writes it), plus
 * what a real API server needs first: namespaces, the pods' ServiceAccounts and the nodes.
 *
 * An endpoint change is one EndpointSlice update (the extra pod it names is created beforehand, untimed),
 * so the clock starts when the API server is sent the write that becomes the watch event.
 */

export const SYSTEM_NAMESPACE = 'istio-system';
/** Creates in flight per API server while loading. */
const LOAD_CONCURRENCY = 32;

type KubeObject = Record<string, unknown> & {
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
};

/** The collection path of `object` on the API server. */
function collectionPath(object: KubeObject): string {
  const namespace = object.metadata?.namespace;
  const ns = namespace ? `/namespaces/${namespace}` : '';
  switch (object.kind) {
    case 'Namespace':
      return '/api/v1/namespaces';
    case 'Node':
      return '/api/v1/nodes';
    case 'Service':
      return `/api/v1${ns}/services`;
    case 'Pod':
      return `/api/v1${ns}/pods`;
    case 'ServiceAccount':
      return `/api/v1${ns}/serviceaccounts`;
    case 'Secret':
      return `/api/v1${ns}/secrets`;
    case 'EndpointSlice':
      return `/apis/discovery.k8s.io/v1${ns}/endpointslices`;
    default:
      throw new Error(`MESHPILOT_BENCH_ERR_KUBE: no API path for kind ${String(object.kind)}`);
  }
}

/** `bash interop/<name>/build.sh`: a hash check when the harness is already built on this machine. */
export function buildHarness(name: string): void {
  const build = spawnSync('bash', [join(REPO_ROOT, 'interop', name, 'build.sh')], { encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(
      `MESHPILOT_BENCH_ERR_PEER: interop/${name}/build.sh failed (needs Go and the Go module proxy): ${(build.stderr || build.stdout).slice(-600)}`,
    );
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(runners);
}

/** A pod as a real API server accepts it: with a container; its status goes through /status afterwards. */
function podForApi(pod: KubeObject): KubeObject {
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  return {
    ...pod,
    spec: { ...spec, containers: [{ name: 'app', image: 'registry.test/bench:1' }] },
    status: undefined,
  };
}

export class KubeMesh {
  readonly mesh: GeneratedMesh;
  readonly clusters: readonly RealKubeCluster[];
  private readonly dir: string;
  private readonly createdPods = new Set<string>();

  private constructor(dir: string, mesh: GeneratedMesh, clusters: readonly RealKubeCluster[]) {
    this.dir = dir;
    this.mesh = mesh;
    this.clusters = clusters;
  }

  /** Starts one API server per kube cluster of `mesh` and creates the mesh's objects in each. */
  static async start(dir: string, mesh: GeneratedMesh): Promise<KubeMesh> {
    buildHarness('kube-apiserver');
    const clusters = await startRealKubeClusters(
      dir,
      mesh.kubeClusters.map((c) => ({ name: c.name })),
    );
    const kube = new KubeMesh(dir, mesh, clusters);
    try {
      await Promise.all(clusters.map((_, k) => kube.load(k)));
    } catch (error: unknown) {
      await kube.stop();
      throw error;
    }
    return kube;
  }

  /** Objects created through the API, per kube cluster (for the log). */
  objectCount(): number {
    const perCluster = this.mesh.services.length * (2 + this.mesh.shape.endpointsPerKubeCluster);
    return perCluster * this.clusters.length;
  }

  private async create(k: number, object: KubeObject): Promise<KubeObject> {
    return (await this.clusters[k]!.call('POST', collectionPath(object), object)) as KubeObject;
  }

  /** Creates the pod, then writes its status (Running, podIP) through the status subresource, as a kubelet does. */
  private async createPod(k: number, pod: KubeObject): Promise<void> {
    const created = await this.create(k, podForApi(pod));
    const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const status = {
      ...((created.status ?? {}) as Record<string, unknown>),
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
    };
    await this.clusters[k]!.call('PUT', `/api/v1/namespaces/${namespace}/pods/${name}/status`, { ...created, status });
    this.createdPods.add(`${k}/${namespace}/${name}`);
  }

  private async load(k: number): Promise<void> {
    const mesh = this.mesh;
    const network = mesh.kubeClusters[k]!.network;
    const namespaces = [...new Set(mesh.services.map((s) => s.namespace))];
    await this.create(k, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: SYSTEM_NAMESPACE, labels: { 'topology.istio.io/network': network } },
    });
    await pool(namespaces, LOAD_CONCURRENCY, async (name) => {
      await this.create(k, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    });
    await pool(mesh.nodeObjects(k), LOAD_CONCURRENCY, async (node) => void (await this.create(k, node)));
    await pool(mesh.services, LOAD_CONCURRENCY, async (service) => {
      await this.create(k, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: service.name, namespace: service.namespace },
      });
    });
    const objects = mesh.services.flatMap((_, s) => mesh.serviceObjects(k, s)) as KubeObject[];
    await pool(
      objects.filter((o) => o.kind !== 'Pod'),
      LOAD_CONCURRENCY,
      async (object) => void (await this.create(k, object)),
    );
    await pool(
      objects.filter((o) => o.kind === 'Pod'),
      LOAD_CONCURRENCY,
      (pod) => this.createPod(k, pod),
    );
  }

  /** Creates the extra pods that toggling these (kube cluster, service) pairs would name, so later toggles are one write each. */
  async prepareToggles(pairs: readonly { kubeCluster: number; service: number }[]): Promise<void> {
    const unique = [...new Map(pairs.map((p) => [`${p.kubeCluster}/${p.service}`, p])).values()];
    await pool(unique, LOAD_CONCURRENCY, async ({ kubeCluster: k, service: s }) => {
      this.mesh.flipEndpoint(k, s);
      const objects = this.mesh.serviceObjects(k, s) as KubeObject[];
      this.mesh.flipEndpoint(k, s);
      for (const pod of objects.filter((o) => o.kind === 'Pod')) {
        const key = `${k}/${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
        if (!this.createdPods.has(key)) await this.createPod(k, pod);
      }
    });
  }

  /**
   * Adds or removes the extra endpoint of service `s` in kube cluster `k`: creates its pod first if it
   * does not exist yet (not timed), then updates the EndpointSlice. Returns when the update was sent (ms).
   */
  async toggleEndpoint(k: number, s: number): Promise<number> {
    this.mesh.flipEndpoint(k, s);
    const objects = this.mesh.serviceObjects(k, s) as KubeObject[];
    for (const pod of objects.filter((o) => o.kind === 'Pod')) {
      const key = `${k}/${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
      if (!this.createdPods.has(key)) await this.createPod(k, pod);
    }
    const slice = objects.find((o) => o.kind === 'EndpointSlice')!;
    const writtenAt = nowMs();
    await this.clusters[k]!.call('PUT', `${collectionPath(slice)}/${slice.metadata?.name ?? ''}`, slice);
    return writtenAt;
  }

  /**
   * A service change: adds or removes the second port of service `s`'s Service in kube cluster `k` (read,
   * then one update of the object as the API server holds it), so every proxy's CDS changes (a full push).
   */
  async toggleServicePort(k: number, s: number): Promise<void> {
    this.mesh.flipServicePort(k, s);
    const wanted = (this.mesh.serviceObjects(k, s) as KubeObject[]).find((o) => o.kind === 'Service')!;
    const path = `${collectionPath(wanted)}/${wanted.metadata?.name ?? ''}`;
    const current = (await this.clusters[k]!.call('GET', path)) as KubeObject & { spec?: Record<string, unknown> };
    const ports = (wanted.spec as { ports?: unknown } | undefined)?.ports;
    await this.clusters[k]!.call('PUT', path, { ...current, spec: { ...current.spec, ports } });
  }

  /** Writes each cluster's admin kubeconfig (CA and client certificate inline) and returns the paths. */
  async kubeconfigs(): Promise<string[]> {
    return Promise.all(
      this.clusters.map(async (cluster) => {
        const path = join(this.dir, `${cluster.name}.kubeconfig`);
        await writeFile(path, cluster.kubeconfig, { mode: 0o600 });
        return path;
      }),
    );
  }

  /** meshNetworks as the generated mesh's meshpilot config has it (networks, fromRegistry, gateways). */
  meshNetworks(): Record<string, unknown> {
    return this.mesh.meshNetworks();
  }

  /** A meshpilot config reading these API servers (instead of the manifest folders), same meshNetworks. */
  async writeMeshpilotConfig(
    path: string,
    options: { debounce: { quietMs: number; maxMs: number }; logLevel: string },
  ): Promise<void> {
    const kubeconfigs = await this.kubeconfigs();
    await writeFile(
      path,
      stringify({
        clusters: this.mesh.kubeClusters.map((c, k) => ({
          name: c.name,
          network: c.network,
          kubeconfig: kubeconfigs[k],
        })),
        meshNetworks: this.meshNetworks(),
        debounce: options.debounce,
        logLevel: options.logLevel,
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.clusters.map((cluster) => cluster.stop()));
  }
}
