import { CustomObjectsApi, type KubeConfig, type KubernetesObject, type V1ListMeta } from '@kubernetes/client-node';

/** One page of a list call. */
export interface ListPage {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
}

/** What a resilient informer needs to know about one resource: how to list, watch, key and reduce it. */
export interface InformedResource<R> {
  /** Plural resource name, for messages ("pods"). */
  readonly resource: string;
  /** Watch path ("/api/v1/pods"). */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  listPage(limit: number, continueToken: string | undefined): Promise<ListPage>;
  key(object: unknown): string;
  reduce(object: unknown): R;
}

export function pageOf(list: { items: readonly unknown[]; metadata?: V1ListMeta | undefined }): ListPage {
  const continueToken = list.metadata?._continue;
  return {
    items: list.items,
    resourceVersion: list.metadata?.resourceVersion ?? '',
    ...(continueToken ? { continueToken } : {}),
  };
}

function metadataOf(object: unknown): { name: string; namespace: string | undefined } {
  const metadata =
    typeof object === 'object' && object !== null
      ? (object as { metadata?: { name?: unknown; namespace?: unknown } }).metadata
      : undefined;
  return {
    name: typeof metadata?.name === 'string' ? metadata.name : '',
    namespace: typeof metadata?.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined,
  };
}

/** namespace/name as the file registry keys objects (namespace defaults to "default"). */
export function namespacedKey(object: unknown): string {
  const { name, namespace } = metadataOf(object);
  return `${namespace ?? 'default'}/${name}`;
}

export function clusterScopedKey(object: unknown): string {
  return metadataOf(object).name;
}

function isListObject(value: unknown): value is { items: unknown[]; metadata?: V1ListMeta } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { items?: unknown }).items);
}

/** A custom resource across all namespaces (Istio's VirtualService, …), objects kept whole. */
export function customResource(
  kubeConfig: KubeConfig,
  { group, version, plural }: { readonly group: string; readonly version: string; readonly plural: string },
): InformedResource<KubernetesObject> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    resource: `${plural}.${group}`,
    path: `/apis/${group}/${version}/${plural}`,
    async listPage(limit, continueToken) {
      const result: unknown = await api.listClusterCustomObject({
        group,
        version,
        plural,
        limit,
        ...(continueToken ? { _continue: continueToken } : {}),
      });
      if (!isListObject(result)) throw new Error(`list of ${plural}.${group} returned no items array`);
      return pageOf(result);
    },
    key: namespacedKey,
    reduce: (object) => object as KubernetesObject,
  };
}
