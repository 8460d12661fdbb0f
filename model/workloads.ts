import { localityOf } from './build-service.ts';
import type { KubeClusterObjects } from './inputs.ts';
import type { NetworkResolver } from './networks.ts';
import type { ProxyWorkload } from './types.ts';

export type WorkloadsByIp = ReadonlyMap<string, readonly ProxyWorkload[]>;

/** Each pod's IP as filed in the workloads (`kubeCluster/namespace/name` → IP); updated in place, handed on. */
export type PodIps = Map<string, string>;

const podRef = (kubeCluster: string, key: string): string => `${kubeCluster}/${key}`;

function workloadOf(cluster: KubeClusterObjects, key: string, resolver: NetworkResolver): ProxyWorkload | undefined {
  const pod = cluster.pods.get(key);
  if (!pod?.ip) return undefined;
  return {
    kubeCluster: cluster.name,
    pod,
    network: resolver.networkOf(cluster.name, pod.ip, pod),
    locality: localityOf(cluster, pod, pod.nodeName, undefined),
  };
}

/** Kube cluster order (as built), then namespace/name: the same order however the map was reached. */
function compareWorkloads(order: ReadonlyMap<string, number>): (a: ProxyWorkload, b: ProxyWorkload) => number {
  return (a, b) =>
    (order.get(a.kubeCluster) ?? 0) - (order.get(b.kubeCluster) ?? 0) ||
    a.pod.namespace.localeCompare(b.pod.namespace) ||
    a.pod.name.localeCompare(b.pod.name);
}

function clusterOrder(kubeClusters: readonly KubeClusterObjects[]): Map<string, number> {
  return new Map(kubeClusters.map((cluster, i) => [cluster.name, i]));
}

/** Every pod with an IP, by IP (several when IPs overlap across kube clusters or pods share a host IP). */
export function workloadsByIp(
  kubeClusters: readonly KubeClusterObjects[],
  resolver: NetworkResolver,
): { byIp: WorkloadsByIp; podIps: PodIps } {
  const out = new Map<string, ProxyWorkload[]>();
  const podIps: PodIps = new Map();
  for (const cluster of kubeClusters) {
    for (const key of cluster.pods.keys()) {
      const workload = workloadOf(cluster, key, resolver);
      if (!workload) continue;
      const list = out.get(workload.pod.ip!) ?? [];
      list.push(workload);
      out.set(workload.pod.ip!, list);
      podIps.set(podRef(cluster.name, key), workload.pod.ip!);
    }
  }
  const compare = compareWorkloads(clusterOrder(kubeClusters));
  for (const list of out.values()) if (list.length > 1) list.sort(compare);
  return { byIp: out, podIps };
}

/**
 * `previous` with the named pods replaced by what the kube clusters hold now: O(the changed pods)
 * besides one copy of the map. `podIps` (each pod's IP in `previous`) is updated in place.
 */
export function updateWorkloads(
  previous: WorkloadsByIp,
  podIps: PodIps,
  changed: readonly { readonly cluster: KubeClusterObjects; readonly key: string }[],
  kubeClusters: readonly KubeClusterObjects[],
  resolver: NetworkResolver,
): WorkloadsByIp {
  const out = new Map(previous);
  const compare = compareWorkloads(clusterOrder(kubeClusters));
  const isPod = (cluster: string, key: string) => (w: ProxyWorkload) =>
    w.kubeCluster === cluster &&
    w.pod.namespace.length + 1 + w.pod.name.length === key.length &&
    key === `${w.pod.namespace}/${w.pod.name}`;
  for (const { cluster, key } of changed) {
    const ref = podRef(cluster.name, key);
    const oldIp = podIps.get(ref);
    if (oldIp !== undefined) {
      const matches = isPod(cluster.name, key);
      const rest = (out.get(oldIp) ?? []).filter((w) => !matches(w));
      if (rest.length === 0) out.delete(oldIp);
      else out.set(oldIp, rest);
      podIps.delete(ref);
    }
    const workload = workloadOf(cluster, key, resolver);
    if (!workload) continue;
    const list = [...(out.get(workload.pod.ip!) ?? []), workload].sort(compare);
    out.set(workload.pod.ip!, list);
    podIps.set(ref, workload.pod.ip!);
  }
  return out;
}
