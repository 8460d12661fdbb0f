import type { KubeClusterObjects } from './inputs.ts';
import type { EndpointSliceRecord } from './types.ts';

/** A reference to one record of one kube cluster: [kube cluster name, record key]. */
export type RecordRef = readonly [kubeCluster: string, key: string];

function setIn(map: Map<string, Map<string, Set<string>>>, outer: string, inner: string): Set<string> {
  let byKey = map.get(outer);
  if (!byKey) map.set(outer, (byKey = new Map()));
  let set = byKey.get(inner);
  if (!set) byKey.set(inner, (set = new Set()));
  return set;
}

function deleteIn(map: Map<string, Map<string, Set<string>>>, outer: string, inner: string, value: string): void {
  const byKey = map.get(outer);
  const set = byKey?.get(inner);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) byKey!.delete(inner);
}

/**
 * Which service each input record feeds, so a change that names a record (an EndpointSlice, a
 * Pod, a Node) finds the services to rebuild without walking the mesh: EndpointSlice → its service,
 * Pod → the services whose slices name it, Node → the services with endpoints on it. Services are
 * keyed `namespace/name` (the same service in every kube cluster). Owned by one snapshot build
 * chain: each build updates it in place and hands it to the next.
 */
export class InputIndex {
  /** Per kube cluster: service key → its EndpointSlice keys, in arrival order. */
  private readonly slices = new Map<string, Map<string, Set<string>>>();
  /** Per kube cluster: EndpointSlice key → the service key it belongs to. */
  private readonly sliceOwners = new Map<string, Map<string, string>>();
  private readonly byPod = new Map<string, Map<string, Set<string>>>();
  private readonly byNode = new Map<string, Map<string, Set<string>>>();
  /** Per service key: the pods and nodes its endpoints were built from (to file it out again). */
  private readonly refs = new Map<string, { pods: readonly RecordRef[]; nodes: readonly RecordRef[] }>();

  /** An index of every EndpointSlice of the kube clusters (pods and nodes are filed per service, by setRefs). */
  static of(kubeClusters: readonly KubeClusterObjects[]): InputIndex {
    const index = new InputIndex();
    for (const cluster of kubeClusters) for (const key of cluster.endpointSlices.keys()) index.fileSlice(cluster, key);
    return index;
  }

  /**
   * Files an EndpointSlice key again after it changed (or went away), and returns the keys of the
   * services it belonged to before and after.
   */
  fileSlice(cluster: KubeClusterObjects, sliceKey: string): string[] {
    let owners = this.sliceOwners.get(cluster.name);
    if (!owners) this.sliceOwners.set(cluster.name, (owners = new Map()));
    const before = owners.get(sliceKey);
    const record = cluster.endpointSlices.get(sliceKey);
    const after = record ? `${record.namespace}/${record.serviceName}` : undefined;
    if (before !== after) {
      if (before !== undefined) deleteIn(this.slices, cluster.name, before, sliceKey);
      if (after !== undefined) setIn(this.slices, cluster.name, after).add(sliceKey);
      if (after === undefined) owners.delete(sliceKey);
      else owners.set(sliceKey, after);
    }
    return [before, after].filter((key): key is string => key !== undefined);
  }

  /** A service's EndpointSlices in one kube cluster (IPv4 and IPv6 only). */
  slicesOf(cluster: KubeClusterObjects, serviceKey: string): EndpointSliceRecord[] {
    const out: EndpointSliceRecord[] = [];
    for (const key of this.slices.get(cluster.name)?.get(serviceKey) ?? []) {
      const slice = cluster.endpointSlices.get(key);
      if (slice && (slice.addressType === 'IPv4' || slice.addressType === 'IPv6')) out.push(slice);
    }
    return out;
  }

  servicesOfPod(kubeCluster: string, podKey: string): ReadonlySet<string> {
    return this.byPod.get(kubeCluster)?.get(podKey) ?? new Set();
  }

  servicesOfNode(kubeCluster: string, nodeName: string): ReadonlySet<string> {
    return this.byNode.get(kubeCluster)?.get(nodeName) ?? new Set();
  }

  /** Records which pods and nodes a service was built from (replacing what it had). */
  setRefs(serviceKey: string, pods: readonly RecordRef[], nodes: readonly RecordRef[]): void {
    this.dropRefs(serviceKey);
    for (const [cluster, key] of pods) setIn(this.byPod, cluster, key).add(serviceKey);
    for (const [cluster, name] of nodes) setIn(this.byNode, cluster, name).add(serviceKey);
    this.refs.set(serviceKey, { pods, nodes });
  }

  dropRefs(serviceKey: string): void {
    const old = this.refs.get(serviceKey);
    if (!old) return;
    for (const [cluster, key] of old.pods) deleteIn(this.byPod, cluster, key, serviceKey);
    for (const [cluster, name] of old.nodes) deleteIn(this.byNode, cluster, name, serviceKey);
    this.refs.delete(serviceKey);
  }
}
