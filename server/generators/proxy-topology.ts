import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';

/** The error code of the warning logged for a proxy whose CLUSTER_ID or NETWORK the mesh does not know. */
export const UNKNOWN_CLUSTER_CODE = 'MESHPILOT_ERR_PROXY_UNKNOWN_CLUSTER';

/** One claim of a proxy the mesh does not know: its CLUSTER_ID names no kube cluster, or its NETWORK no network. */
export interface UnknownTopology {
  /** The metric's `reason` label. */
  readonly reason: 'cluster_id' | 'network';
  readonly field: 'CLUSTER_ID' | 'NETWORK';
  readonly value: string;
  readonly message: string;
}

/** Names listed in a message at most: a mesh of a hundred kube clusters makes no hundred-name line. */
const LISTED = 10;

function listed(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, LISTED).join(', ');
  return names.length > LISTED ? `${shown} and ${names.length - LISTED} more` : shown;
}

/**
 * Checks proxies' CLUSTER_ID and NETWORK against one snapshot: the kube clusters it has, and the
 * networks config names plus those pods' own network labels give (read once per checker, and only
 * when a network is not named by config). An empty value claims nothing and is never flagged. Pure:
 * make one checker per snapshot and ask it for any number of proxies.
 */
export function topologyChecker(snapshot: MeshSnapshot): (view: ProxyView) => UnknownTopology[] {
  const kubeClusters = new Set(snapshot.kubeClusters);
  const named = new Set(snapshot.networks);
  let labelled: Set<string> | undefined;
  const podNetworks = (): Set<string> => {
    if (labelled) return labelled;
    labelled = new Set();
    for (const workloads of snapshot.workloadsByIp.values())
      for (const workload of workloads) if (workload.network) labelled.add(workload.network);
    return labelled;
  };
  return (view) => {
    const out: UnknownTopology[] = [];
    if (view.kubeCluster !== '' && !kubeClusters.has(view.kubeCluster)) {
      out.push({
        reason: 'cluster_id',
        field: 'CLUSTER_ID',
        value: view.kubeCluster,
        message: `CLUSTER_ID "${view.kubeCluster}" matches no kube cluster (known: ${listed(snapshot.kubeClusters)})`,
      });
    }
    if (view.network !== '' && !named.has(view.network) && !podNetworks().has(view.network)) {
      const known = [...new Set([...snapshot.networks, ...podNetworks()])].sort();
      out.push({
        reason: 'network',
        field: 'NETWORK',
        value: view.network,
        message: `NETWORK "${view.network}" matches no network (known: ${listed(known)})`,
      });
    }
    return out;
  };
}

/** Per metric reason, how many of these proxies claim what the snapshot does not know. */
export function countUnknownTopology(
  snapshot: MeshSnapshot | undefined,
  views: Iterable<ProxyView>,
): Record<UnknownTopology['reason'], number> {
  const counts = { cluster_id: 0, network: 0 };
  if (snapshot === undefined) return counts;
  const check = topologyChecker(snapshot);
  for (const view of views) for (const unknown of check(view)) counts[unknown.reason] += 1;
  return counts;
}
