/**
 * Rebuild-cost benchmark: what one endpoint change costs the pipeline, in process (no network).
 * 1,000 services in each of 3 kube clusters (merged by namespace sameness), 10 ready mTLS pods per
 * service per kube cluster, 100 nodes per kube cluster. One change = one EndpointSlice of one
 * service in one kube cluster gets one address moved; the pipeline rebuilds the snapshot, works out
 * what changed and hands it to the cache (MeshPipeline.rebuild, as the debouncer calls it), then
 * one sidecar view's EDS is brought forward (the cache's part of the push).
 * Run: node --expose-gc --import tsx bench/snapshot-rebuild.ts [--services N] [--changes N] [--out FILE]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { ProxyView } from '../model/proxy-view.ts';
import type { EndpointSliceRecord, KubeServiceRecord, NodeRecord, PodRecord } from '../model/types.ts';
import { ENDPOINT_TYPE } from '../protos/type-urls.ts';
import { XdsCache } from '../server/cache/xds-cache.ts';
import { Metrics } from '../server/metrics/metrics.ts';
import { MeshPipeline } from '../server/pipeline/mesh-pipeline.ts';
import type { RegistryChange, RegistryListener } from '../server/registry/events.ts';
import { KubeClusterStore } from '../server/registry/kube-cluster-store.ts';
import type { KubeClusterHealth, KubeClusterSource } from '../server/registry/kube-cluster-source.ts';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    clusters: { type: 'string', default: '3' },
    pods: { type: 'string', default: '10' },
    changes: { type: 'string', default: '50' },
    out: { type: 'string', default: 'bench/snapshot-rebuild-results.json' },
  },
});
const serviceCount = Number(values.services);
const clusterCount = Number(values.clusters);
const podsPerService = Number(values.pods);
const changeCount = Number(values.changes);
const NAMESPACE = 'bench';
const NODES = 100;

/** A kube cluster whose store the benchmark fills and changes directly. */
class MemorySource implements KubeClusterSource {
  readonly name: string;
  readonly store: KubeClusterStore;
  private listener: RegistryListener | undefined;

  constructor(name: string) {
    this.name = name;
    this.store = new KubeClusterStore(name);
  }

  async start(listener: RegistryListener): Promise<void> {
    this.listener = listener;
  }

  async stop(): Promise<void> {}

  health(): KubeClusterHealth {
    return { name: this.name, source: 'manifests', state: 'synced', objects: this.store.counts() };
  }

  /** Applies changes to the store and returns those that altered it (what a registry would emit). */
  apply(changes: readonly RegistryChange[]): RegistryChange[] {
    return this.store.apply(changes);
  }

  get hasListener(): boolean {
    return this.listener !== undefined;
  }
}

function podIp(cluster: number, service: number, pod: number, generation = 0): string {
  const i = service * podsPerService + pod;
  return `10.${cluster * 16 + generation}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

function sliceOf(cluster: number, service: number, moved = -1): EndpointSliceRecord {
  const name = `svc-${service}`;
  return {
    namespace: NAMESPACE,
    name: `${name}-abcde`,
    serviceName: name,
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: podsPerService }, (_, p) => ({
      addresses: [podIp(cluster, service, p, p === moved ? 1 : 0)],
      ready: true,
      serving: true,
      terminating: false,
      nodeName: `node-${(service * podsPerService + p) % NODES}`,
      podName: `${name}-${p}`,
      podKey: `${NAMESPACE}/${name}-${p}`,
    })),
  };
}

function populate(source: MemorySource, cluster: number): void {
  const changes: RegistryChange[] = [];
  const kubeCluster = source.name;
  for (let n = 0; n < NODES; n += 1) {
    const node: NodeRecord = {
      name: `node-${n}`,
      locality: { region: 'r1', zone: `z${n % 3}`, subZone: '' },
      internalIPs: [`192.168.${cluster}.${n}`],
      externalIPs: [],
    };
    changes.push({ kubeCluster, kind: 'Node', op: 'upsert', key: node.name, record: node });
  }
  for (let s = 0; s < serviceCount; s += 1) {
    const name = `svc-${s}`;
    const service: KubeServiceRecord = {
      namespace: NAMESPACE,
      name,
      labels: {},
      type: 'ClusterIP',
      clusterIP: `10.96.${Math.floor(s / 250)}.${(s % 250) + 1}`,
      headless: false,
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      loadBalancerIPs: [],
      externalIPs: [],
    };
    changes.push({ kubeCluster, kind: 'Service', op: 'upsert', key: `${NAMESPACE}/${name}`, record: service });
    for (let p = 0; p < podsPerService; p += 1) {
      const pod: PodRecord = {
        namespace: NAMESPACE,
        name: `${name}-${p}`,
        ip: podIp(cluster, s, p),
        labels: { app: name, version: 'v1', 'security.istio.io/tlsMode': 'istio' },
        serviceAccount: name,
        nodeName: `node-${(s * podsPerService + p) % NODES}`,
      };
      changes.push({ kubeCluster, kind: 'Pod', op: 'upsert', key: `${NAMESPACE}/${pod.name}`, record: pod });
    }
    const slice = sliceOf(cluster, s);
    changes.push({
      kubeCluster,
      kind: 'EndpointSlice',
      op: 'upsert',
      key: `${NAMESPACE}/${slice.name}`,
      record: slice,
    });
  }
  source.apply(changes);
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summary(samples: readonly number[]): { p50: number; p90: number; max: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

const sources = Array.from({ length: clusterCount }, (_, c) => new MemorySource(`kc-${c + 1}`));
sources.forEach(populate);
const cache = new XdsCache();
let published = 0;
const pipeline = new MeshPipeline({
  settings: {
    domainSuffix: 'cluster.local',
    trustDomain: 'cluster.local',
    meshNetworks: { networks: {} },
    kubeClusterNetworks: Object.fromEntries(sources.map((s, c) => [s.name, `network-${(c % 2) + 1}`])),
  },
  cache,
  metrics: new Metrics({ defaultMetrics: false }),
  logger: pino({ level: 'silent' }),
  debounce: { quietMs: 100, maxMs: 1000 },
  subscriber: {
    publish: () => {
      published += 1;
    },
  },
});
for (const source of sources) await pipeline.addKubeCluster(source);

const view: ProxyView = {
  generator: 'envoy',
  proxyType: 'sidecar',
  routerMode: 'standard',
  network: 'network-1',
  locality: { region: 'r1', zone: 'z0', subZone: '' },
  kubeCluster: 'kc-1',
  namespace: NAMESPACE,
  requestedNetworkView: [],
};

let started = performance.now();
pipeline.rebuild();
const initialBuildMs = performance.now() - started;
started = performance.now();
cache.resources(view, ENDPOINT_TYPE);
const initialEdsMs = performance.now() - started;

const rebuildMs: number[] = [];
const rebuildCpuMs: number[] = [];
const edsMs: number[] = [];
const translatedBefore = cache.stats().translatedServices;
gc();
for (let i = 0; i < changeCount; i += 1) {
  const cluster = i % clusterCount;
  const service = (i * 37) % serviceCount;
  const source = sources[cluster]!;
  const slice = sliceOf(cluster, service, i % podsPerService);
  const changes = source.apply([
    { kubeCluster: source.name, kind: 'EndpointSlice', op: 'upsert', key: `${NAMESPACE}/${slice.name}`, record: slice },
  ]);
  started = performance.now();
  const cpu = process.cpuUsage();
  pipeline.rebuild(changes);
  const used = process.cpuUsage(cpu);
  rebuildMs.push(performance.now() - started);
  rebuildCpuMs.push((used.user + used.system) / 1000);
  started = performance.now();
  cache.resources(view, ENDPOINT_TYPE);
  edsMs.push(performance.now() - started);
  // Put it back, so the next change starts from the original mesh.
  const restored = sliceOf(cluster, service);
  pipeline.rebuild(
    source.apply([
      {
        kubeCluster: source.name,
        kind: 'EndpointSlice',
        op: 'upsert',
        key: `${NAMESPACE}/${restored.name}`,
        record: restored,
      },
    ]),
  );
  cache.resources(view, ENDPOINT_TYPE);
}
await pipeline.stop();

const result = {
  benchmark: 'snapshot-rebuild-one-endpoint-change',
  date: new Date().toISOString(),
  node: process.version,
  loadAverage: (await import('node:os')).loadavg()[0],
  kubeClusters: clusterCount,
  servicesPerKubeCluster: serviceCount,
  podsPerServicePerKubeCluster: podsPerService,
  changes: changeCount,
  published,
  initialBuildMs: Math.round(initialBuildMs),
  initialEdsOneViewMs: Math.round(initialEdsMs),
  /** MeshPipeline.rebuild: snapshot build + what changed + cache.setSnapshot + publish. */
  rebuildMs: summary(rebuildMs),
  /** The same, in CPU time of this process (less sensitive to other processes on a shared machine). */
  rebuildCpuMs: summary(rebuildCpuMs),
  /** One view's EDS brought forward after the change (the cache's share of a push). */
  edsOneViewMs: summary(edsMs),
  servicesTranslatedPerChange: (cache.stats().translatedServices - translatedBefore) / (2 * changeCount),
};
await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
