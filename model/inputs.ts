import type { IstioConfigSet } from './istio/types.ts';
import type {
  EndpointSliceRecord,
  KubeServiceRecord,
  MeshConfigDefaults,
  OptIns,
  NamespaceRecord,
  NodeRecord,
  PodRecord,
} from './types.ts';

/** What the snapshot is built from: each kube cluster's reduced objects plus the mesh settings. */
export interface KubeClusterObjects {
  readonly name: string;
  /** The kube cluster's network from the config file, if set. */
  readonly network?: string;
  readonly services: ReadonlyMap<string, KubeServiceRecord>;
  readonly endpointSlices: ReadonlyMap<string, EndpointSliceRecord>;
  readonly pods: ReadonlyMap<string, PodRecord>;
  readonly nodes: ReadonlyMap<string, NodeRecord>;
  /** Namespaces by name (absent: none known, e.g. a test's hand-made cluster). */
  readonly namespaces?: ReadonlyMap<string, NamespaceRecord>;
  /** Why the kube cluster is draining (karmada.drainNotReady): its endpoints go behind healthy ones. */
  readonly draining?: string;
}

export type NetworkEndpointsSelector = { readonly fromRegistry: string } | { readonly fromCidr: string };

export type NetworkGatewaySpec =
  | { readonly address: string; readonly port: number; readonly locality?: string }
  | { readonly registryServiceName: string; readonly port: number; readonly locality?: string };

/** Istio's MeshNetworks. */
export interface MeshNetworksSpec {
  readonly networks: Readonly<
    Record<
      string,
      { readonly endpoints: readonly NetworkEndpointsSelector[]; readonly gateways: readonly NetworkGatewaySpec[] }
    >
  >;
}

export interface SnapshotInput {
  readonly domainSuffix: string;
  readonly trustDomain: string;
  readonly kubeClusters: readonly KubeClusterObjects[];
  readonly meshNetworks: MeshNetworksSpec;
  /** Validated Istio config; EMPTY_ISTIO_CONFIG when absent. */
  readonly istioConfig?: IstioConfigSet;
  /** meshpilot.yaml's `mesh:` (fixed for the life of the process). */
  readonly meshConfig?: MeshConfigDefaults;
  readonly optIn?: OptIns;
  /** Addresses of the gateway hostnames resolved so far (a new map object when any changes). */
  readonly resolvedHostnames?: ReadonlyMap<string, readonly string[]>;
}

/**
 * One input record added, changed or removed, as the registry's events name it (kube cluster,
 * kind, key); the record itself is read from the kube cluster's maps. A build given every change
 * since the previous one rebuilds only what they touch.
 */
export interface InputChange {
  readonly kubeCluster: string;
  readonly kind: 'Service' | 'EndpointSlice' | 'Pod' | 'Node' | 'Namespace';
  readonly key: string;
}
