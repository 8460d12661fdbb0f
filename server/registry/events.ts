import type {
  EndpointSliceRecord,
  KubeServiceRecord,
  NamespaceRecord,
  NodeRecord,
  PodRecord,
} from '../../model/types.ts';

/** The kinds of kube object the mesh model is built from. */
export interface KubeRecords {
  Service: KubeServiceRecord;
  EndpointSlice: EndpointSliceRecord;
  Pod: PodRecord;
  Node: NodeRecord;
  Namespace: NamespaceRecord;
}
export type KubeKind = keyof KubeRecords;
export const KUBE_KINDS: readonly KubeKind[] = ['Service', 'EndpointSlice', 'Pod', 'Node', 'Namespace'];

/** One object added, changed or removed in one kube cluster. Live and file registries emit the same. */
export type RegistryChange = {
  [K in KubeKind]:
    | {
        readonly kubeCluster: string;
        readonly kind: K;
        readonly op: 'upsert';
        readonly key: string;
        readonly record: KubeRecords[K];
      }
    | { readonly kubeCluster: string; readonly kind: K; readonly op: 'delete'; readonly key: string };
}[KubeKind];

export type RegistryListener = (changes: readonly RegistryChange[]) => void;

/** namespace/name, or name for cluster-scoped kinds. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
