/**
 * Live-registry benchmark: three kube-sim clusters × 5,000 pods watched by KubeWatchers.
 * Measures the initial sync time and the memory the watchers add per 1,000 pods.
 * Run: node --expose-gc --import tsx bench/registry.ts [--pods N] [--out FILE]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startKubeSim, type KubeSim } from '../kube-sim/index.ts';
import { KubeWatcher } from '../server/registry/kube-watcher.ts';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '5000' },
    clusters: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench/registry-results.json' },
  },
});
const podsPerCluster = Number(values.pods);
const clusterCount = Number(values.clusters);
const PODS_PER_SERVICE = 20;
const PODS_PER_NODE = 100;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
}

function populate(sim: KubeSim, clusterIndex: number): void {
  for (let n = 0; n < Math.ceil(podsPerCluster / PODS_PER_NODE); n += 1) {
    sim.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `node-${n}`,
        labels: { 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': `z${n % 3}` },
      },
      status: { addresses: [{ type: 'InternalIP', address: `192.168.${clusterIndex}.${n}` }] },
    });
  }
  for (let s = 0; s < Math.ceil(podsPerCluster / PODS_PER_SERVICE); s += 1) {
    const name = `svc-${s}`;
    const ips: string[] = [];
    for (let p = 0; p < PODS_PER_SERVICE && s * PODS_PER_SERVICE + p < podsPerCluster; p += 1) {
      const i = s * PODS_PER_SERVICE + p;
      const ip = `10.${clusterIndex}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      ips.push(ip);
      sim.apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${p}`,
          namespace: 'bench',
          labels: { app: name, version: 'v1', 'pod-template-hash': 'abc123' },
          annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' },
        },
        spec: {
          nodeName: `node-${Math.floor(i / PODS_PER_NODE)}`,
          serviceAccountName: name,
          containers: [
            {
              name: 'app',
              image: `example/${name}:1.0`,
              ports: [{ containerPort: 8080 }],
              env: [{ name: 'A', value: 'x'.repeat(200) }],
            },
          ],
        },
        status: { phase: 'Running', podIP: ip, hostIP: '192.168.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
      });
    }
    sim.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'bench' },
      spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    sim.apply({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-abcde`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: ips.map((ip, p) => ({
        addresses: [ip],
        conditions: { ready: true },
        targetRef: { kind: 'Pod', name: `${name}-${p}`, namespace: 'bench' },
      })),
    });
  }
}

const sims: KubeSim[] = [];
for (let c = 0; c < clusterCount; c += 1) {
  const sim = await startKubeSim({ clusterName: `cluster-${c}`, historyLimit: 100 });
  populate(sim, c);
  sims.push(sim);
}
gc();
const before = process.memoryUsage();
const logger = pino({ level: 'silent' });
const watchers = sims.map(
  (sim, c) =>
    new KubeWatcher({ name: `cluster-${c}`, kubeconfig: { yaml: sim.kubeconfig }, logger, settings: { resyncMs: 0 } }),
);
const started = performance.now();
const perClusterMs = await Promise.all(
  watchers.map(async (watcher) => {
    await watcher.start(() => {});
    return Math.round(performance.now() - started);
  }),
);
const initialSyncMs = Math.round(performance.now() - started);
const health = watchers.map((watcher) => watcher.health());
const unsynced = health.filter((h) => h.state !== 'synced');
if (unsynced.length > 0)
  throw new Error(`not synced: ${unsynced.map((h) => `${h.name}: ${h.lastError ?? h.state}`).join('; ')}`);
gc();
const after = process.memoryUsage();
const totalPods = podsPerCluster * clusterCount;
const result = {
  benchmark: 'registry-initial-sync',
  date: new Date().toISOString(),
  node: process.version,
  gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
  clusters: clusterCount,
  podsPerCluster,
  objectsPerCluster: health[0]?.objects,
  initialSyncMs,
  perClusterMs,
  // The simulators run in this process but were filled before the baseline: the deltas are the watchers'.
  rssBytesPer1000Pods: Math.round(((after.rss - before.rss) / totalPods) * 1000),
  heapUsedBytesPer1000Pods: Math.round(((after.heapUsed - before.heapUsed) / totalPods) * 1000),
};
await Promise.all(watchers.map((watcher) => watcher.stop()));
await Promise.all(sims.map((sim) => sim.stop()));
await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
