import type { MeshpilotConfig } from '../config/schema.ts';

type KubeCluster = MeshpilotConfig['clusters'][number];

/**
 * The member kube clusters whose WorkloadEntries meshpilot reads, as istiod does with
 * PILOT_ENABLE_CROSS_CLUSTER_WORKLOAD_ENTRY (on by default; serviceregistry/kube/controller/multicluster.go):
 * every kube cluster but the config kube cluster (the first of clusters[]) that is not itself a `config:`
 * source (whose WorkloadEntries are read with the rest of its Istio config). Only WorkloadEntries: istiod reads
 * no other Istio kind from a member kube cluster.
 */
export function workloadEntryMembers(config: Pick<MeshpilotConfig, 'config' | 'clusters'>): KubeCluster[] {
  const configClusters = new Set(
    config.config.flatMap((source) => (source.cluster !== undefined ? [source.cluster] : [])),
  );
  return config.clusters.slice(1).filter((kubeCluster) => !configClusters.has(kubeCluster.name));
}
