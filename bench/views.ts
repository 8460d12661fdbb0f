import type { NodeSpec } from './proto-wire.ts';

/**
 * Simulated sidecars: 2 networks × 2 localities, so meshpilot computes four proxy views (per type
 * that does not read the workload) and the baseline replays four recorded response sets.
 */

export interface ViewSpec {
  readonly key: string;
  readonly kubeCluster: string;
  readonly network: string;
  readonly region: string;
  readonly zone: string;
}

export const VIEWS: readonly ViewSpec[] = [
  { key: 'network-1|region-1/zone-a', kubeCluster: 'kc-1', network: 'network-1', region: 'region-1', zone: 'zone-a' },
  { key: 'network-1|region-2/zone-b', kubeCluster: 'kc-1', network: 'network-1', region: 'region-2', zone: 'zone-b' },
  { key: 'network-2|region-1/zone-a', kubeCluster: 'kc-2', network: 'network-2', region: 'region-1', zone: 'zone-a' },
  { key: 'network-2|region-2/zone-b', kubeCluster: 'kc-2', network: 'network-2', region: 'region-2', zone: 'zone-b' },
];

export function viewKeyOf(node: { network: string; region: string; zone: string }): string {
  return `${node.network}|${node.region}/${node.zone}`;
}

/**
 * The node of simulated sidecar `index` (0-based, unique in a run): an Istio-style id whose pod
 * IP (10.250.x.y) belongs to no service, and the metadata Istio's agent sends.
 */
export function sidecarNode(index: number, view: ViewSpec = VIEWS[index % VIEWS.length]!): NodeSpec {
  const ip = `10.250.${Math.floor(index / 250) % 256}.${(index % 250) + 1}`;
  const pod = `bench-${index}`;
  return {
    id: `sidecar~${ip}~${pod}.default~default.svc.cluster.local`,
    metadata: {
      CLUSTER_ID: view.kubeCluster,
      NETWORK: view.network,
      NAMESPACE: 'default',
      SERVICE_ACCOUNT: 'bench',
      ISTIO_VERSION: '1.24.0',
    },
    labels: { app: 'bench', 'topology.istio.io/network': view.network },
    locality: { region: view.region, zone: view.zone },
  };
}
