import { isDeepStrictEqual } from 'node:util';
import { KUBE_KINDS, type KubeKind, type KubeRecords, type RegistryChange } from './events.ts';

type KindMaps = { [K in KubeKind]: Map<string, KubeRecords[K]> };

/**
 * The reduced objects of one kube cluster (one endpoint shard, in istiod's terms). Applying a
 * change that does not alter the stored record reports no change, so resyncs cost no push.
 */
export class KubeClusterStore {
  readonly name: string;
  private readonly maps: KindMaps = {
    Service: new Map(),
    EndpointSlice: new Map(),
    Pod: new Map(),
    Node: new Map(),
    Namespace: new Map(),
  };

  constructor(name: string) {
    this.name = name;
  }

  /** Applies changes and returns the ones that altered the store. */
  apply(changes: readonly RegistryChange[]): RegistryChange[] {
    const effective: RegistryChange[] = [];
    for (const change of changes) if (this.applyOne(change)) effective.push(change);
    return effective;
  }

  private applyOne(change: RegistryChange): boolean {
    const map = this.maps[change.kind] as Map<string, unknown>;
    if (change.op === 'delete') return map.delete(change.key);
    const previous = map.get(change.key);
    if (previous !== undefined && isDeepStrictEqual(previous, change.record)) return false;
    map.set(change.key, change.record);
    return true;
  }

  /** The changes that turn this store's content into `next` (a full listing of every kind). */
  diffAgainst(next: { [K in KubeKind]: ReadonlyMap<string, KubeRecords[K]> }): RegistryChange[] {
    const changes: RegistryChange[] = [];
    for (const kind of KUBE_KINDS) {
      const current = this.maps[kind] as Map<string, unknown>;
      const wanted = next[kind] as ReadonlyMap<string, unknown>;
      for (const key of current.keys()) {
        if (!wanted.has(key)) changes.push({ kubeCluster: this.name, kind, op: 'delete', key } as RegistryChange);
      }
      for (const [key, record] of wanted) {
        if (!isDeepStrictEqual(current.get(key), record)) {
          changes.push({ kubeCluster: this.name, kind, op: 'upsert', key, record } as RegistryChange);
        }
      }
    }
    return changes;
  }

  records<K extends KubeKind>(kind: K): ReadonlyMap<string, KubeRecords[K]> {
    return this.maps[kind];
  }

  counts(): Record<KubeKind, number> {
    return {
      Service: this.maps.Service.size,
      EndpointSlice: this.maps.EndpointSlice.size,
      Pod: this.maps.Pod.size,
      Node: this.maps.Node.size,
      Namespace: this.maps.Namespace.size,
    };
  }
}
