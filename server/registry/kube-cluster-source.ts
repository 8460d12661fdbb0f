import type { KubeClusterStore } from './kube-cluster-store.ts';
import type { RegistryListener } from './events.ts';
import type { KubeconfigSource } from '../kube/kubeconfig.ts';
import type { KubeconfigPolicy } from '../kube/kubeconfig-policy.ts';

/** How a kube cluster behind an API server is reached (absent for a manifest folder). */
export interface KubeAccess {
  readonly kubeconfig: KubeconfigSource;
  readonly policy?: KubeconfigPolicy;
}

export type KubeClusterSyncState = 'syncing' | 'synced' | 'unreachable';

export interface KubeClusterHealth {
  readonly name: string;
  readonly source: 'manifests' | 'kubeconfig' | 'remote-secret' | 'karmada';
  readonly state: KubeClusterSyncState;
  readonly syncedAt?: string;
  readonly unreachableSince?: string;
  readonly lastError?: string;
  readonly objects: Readonly<Record<string, number>>;
  /** The kube cluster's network (config, else meshNetworks fromRegistry); filled in by the runtime. */
  readonly network?: string;
  /** Why its endpoints are sent behind healthy ones (karmada.drainNotReady); filled in by the pipeline. */
  readonly draining?: string;
}

/** One member kube cluster: where its objects come from, and the store they land in. */
export interface KubeClusterSource {
  readonly name: string;
  readonly store: KubeClusterStore;
  /** The network its source names (a Karmada Cluster's label); the config file's `network` wins. */
  readonly network?: string | undefined;
  /** Starts watching; resolves after the first sync (or its failure, reported in health()). */
  start(listener: RegistryListener): Promise<void>;
  stop(): Promise<void>;
  health(): KubeClusterHealth;
  /** The kubeconfig of a kube cluster read through its API server (writers to the cluster reuse it). */
  kubeAccess?(): KubeAccess | undefined;
}
