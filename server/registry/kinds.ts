import { objectKey, KUBE_KINDS, type KubeKind, type KubeRecords } from './events.ts';
import { reduceEndpointSlice, reduceNamespace, reduceNode, reducePod, reduceService } from './reduce.ts';

/** How the registry reads one kind: its reducer, and whether it lives in a namespace. */
export interface KindEntry<R> {
  readonly reduce: (object: unknown) => R;
  readonly namespaced: boolean;
}

/** The one kind → reducer table: the live watcher, the manifest-folder registry and the offline mesh read through it. */
export const KUBE_KIND_TABLE: { readonly [K in KubeKind]: KindEntry<KubeRecords[K]> } = {
  Service: { reduce: reduceService, namespaced: true },
  EndpointSlice: { reduce: reduceEndpointSlice, namespaced: true },
  Pod: { reduce: reducePod, namespaced: true },
  Node: { reduce: reduceNode, namespaced: false },
  Namespace: { reduce: reduceNamespace, namespaced: false },
};

export type KindListing = { [K in KubeKind]: Map<string, KubeRecords[K]> };

export function emptyListing(): KindListing {
  return { Service: new Map(), EndpointSlice: new Map(), Pod: new Map(), Node: new Map(), Namespace: new Map() };
}

export function isKubeKind(kind: unknown): kind is KubeKind {
  return (KUBE_KINDS as readonly unknown[]).includes(kind);
}

/** namespace/name for namespaced kinds (namespace defaults to "default"), name for cluster-scoped ones. */
export function kindKey(kind: KubeKind, namespace: string | undefined, name: string): string {
  return KUBE_KIND_TABLE[kind].namespaced ? objectKey(namespace || 'default', name) : name;
}

interface ManifestObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string | undefined };
}

/**
 * Every object of a kind the model needs, reduced and keyed; other kinds are skipped. `reduce`
 * lets a caller memoize (the file registry reuses the record of an unchanged parsed object).
 */
export function listingOf<O extends ManifestObject>(
  objects: readonly O[],
  reduce: <R>(object: O, reducer: (object: unknown) => R) => R = (object, reducer) => reducer(object),
): KindListing {
  const listing = emptyListing();
  for (const object of objects) {
    const kind = object.kind;
    if (!isKubeKind(kind)) continue;
    put(listing, kind, kindKey(kind, object.metadata.namespace, object.metadata.name), (reducer) =>
      reduce(object, reducer),
    );
  }
  return listing;
}

function put<K extends KubeKind>(
  listing: KindListing,
  kind: K,
  key: string,
  reduce: (reducer: (object: unknown) => KubeRecords[K]) => KubeRecords[K],
): void {
  const records: Map<string, KubeRecords[K]> = listing[kind];
  records.set(key, reduce(KUBE_KIND_TABLE[kind].reduce));
}
