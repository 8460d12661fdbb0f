import { CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import { clusterScopedKey, namespacedKey, pageOf, type InformedResource } from '../kube/resource.ts';
import type { KubeKind, KubeRecords } from './events.ts';
import { KUBE_KIND_TABLE } from './kinds.ts';

export type KubeKindResources = { [K in KubeKind]: InformedResource<KubeRecords[K]> };

/** The kinds the mesh model needs, across all namespaces, through the kubeconfig's API server. */
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
      reduce: KUBE_KIND_TABLE.Service.reduce,
    },
    EndpointSlice: {
      resource: 'endpointslices',
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      listPage: async (limit, token) => pageOf(await discovery.listEndpointSliceForAllNamespaces(page(limit, token))),
      key: namespacedKey,
      reduce: KUBE_KIND_TABLE.EndpointSlice.reduce,
    },
    Pod: {
      resource: 'pods',
      path: '/api/v1/pods',
      listPage: async (limit, token) => pageOf(await core.listPodForAllNamespaces(page(limit, token))),
      key: namespacedKey,
      reduce: KUBE_KIND_TABLE.Pod.reduce,
    },
    Node: {
      resource: 'nodes',
      path: '/api/v1/nodes',
      listPage: async (limit, token) => pageOf(await core.listNode(page(limit, token))),
      key: clusterScopedKey,
      reduce: KUBE_KIND_TABLE.Node.reduce,
    },
    // The system namespace's topology.istio.io/network label is the kube cluster's network (Istio's
    // networkFromSystemNamespace); namespaces' traffic-distribution annotation is their Services' default.
    Namespace: {
      resource: 'namespaces',
      path: '/api/v1/namespaces',
      listPage: async (limit, token) => pageOf(await core.listNamespace(page(limit, token))),
      key: clusterScopedKey,
      reduce: KUBE_KIND_TABLE.Namespace.reduce,
    },
  };
}
