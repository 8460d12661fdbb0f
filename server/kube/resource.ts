import { CoreV1Api, DiscoveryV1Api, type KubeConfig, type V1ListMeta } from '@kubernetes/client-node';
import { objectKey, type KubeKind, type KubeRecords } from '../registry/events.ts';
import { reduceEndpointSlice, reduceNode, reducePod, reduceService } from '../registry/reduce.ts';

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
  listPage(limit: number, continueToken: string | undefined): Promise<ListPage>;
  key(object: unknown): string;
  reduce(object: unknown): R;
}

export type KubeKindResources = { [K in KubeKind]: InformedResource<KubeRecords[K]> };

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
  return objectKey(namespace ?? 'default', name);
}

export function clusterScopedKey(object: unknown): string {
  return metadataOf(object).name;
}

/** The four kinds the mesh model needs, across all namespaces, through the kubeconfig's API server. */
export function kubeKindResources(kubeConfig: KubeConfig): KubeKindResources {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  const page = (limit: number, continueToken: string | undefined) => ({
    limit,
    ...(continueToken ? { _continue: continueToken } : {}),
  });
  return {
    Service: {
      resource: 'services',
      path: '/api/v1/services',
      listPage: async (limit, token) => pageOf(await core.listServiceForAllNamespaces(page(limit, token))),
      key: namespacedKey,
      reduce: reduceService,
    },
    EndpointSlice: {
      resource: 'endpointslices',
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      listPage: async (limit, token) => pageOf(await discovery.listEndpointSliceForAllNamespaces(page(limit, token))),
      key: namespacedKey,
      reduce: reduceEndpointSlice,
    },
    Pod: {
      resource: 'pods',
      path: '/api/v1/pods',
      listPage: async (limit, token) => pageOf(await core.listPodForAllNamespaces(page(limit, token))),
      key: namespacedKey,
      reduce: reducePod,
    },
    Node: {
      resource: 'nodes',
      path: '/api/v1/nodes',
      listPage: async (limit, token) => pageOf(await core.listNode(page(limit, token))),
      key: clusterScopedKey,
      reduce: reduceNode,
    },
  };
}
