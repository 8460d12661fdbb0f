import type { NetworkGateway } from '../../model/types.ts';

/**
 * Istio's index of east-west gateways (pilot/pkg/model/network.go): per network, and per network and
 * kube cluster (gateways given by address have no kube cluster); the weight scale factor is the least
 * common multiple of the sizes of all those groups, so a weight split evenly among any group's
 * gateways stays an integer.
 */
export interface GatewayIndex {
  readonly byNetwork: ReadonlyMap<string, readonly NetworkGateway[]>;
  readonly byNetworkAndCluster: ReadonlyMap<string, readonly NetworkGateway[]>;
  readonly scaleFactor: number;
  /** Istio's IsMultiNetworkEnabled: some network has a gateway. */
  readonly multiNetwork: boolean;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

const networkAndCluster = (network: string, kubeCluster: string | undefined): string =>
  `${network}|${kubeCluster ?? ''}`;

const cache = new WeakMap<ReadonlyMap<string, readonly NetworkGateway[]>, GatewayIndex>();

export function gatewayIndex(gateways: ReadonlyMap<string, readonly NetworkGateway[]>): GatewayIndex {
  const cached = cache.get(gateways);
  if (cached) return cached;
  const byNetwork = new Map<string, NetworkGateway[]>();
  const byNetworkAndCluster = new Map<string, NetworkGateway[]>();
  for (const [network, list] of gateways) {
    if (list.length === 0) continue;
    byNetwork.set(network, [...list]);
    for (const gateway of list) {
      const key = networkAndCluster(network, gateway.kubeCluster);
      const group = byNetworkAndCluster.get(key) ?? [];
      group.push(gateway);
      byNetworkAndCluster.set(key, group);
    }
  }
  let scaleFactor = 1;
  for (const group of [...byNetwork.values(), ...byNetworkAndCluster.values()]) {
    scaleFactor = (scaleFactor / gcd(scaleFactor, group.length)) * group.length;
  }
  const index = { byNetwork, byNetworkAndCluster, scaleFactor, multiNetwork: byNetwork.size > 0 };
  cache.set(gateways, index);
  return index;
}

/**
 * The gateways that carry traffic to an endpoint of `network` in `kubeCluster`: those of the network
 * in that kube cluster, else every gateway of the network (Istio's selectNetworkGateways).
 */
export function gatewaysFor(index: GatewayIndex, network: string, kubeCluster: string): readonly NetworkGateway[] {
  return index.byNetworkAndCluster.get(networkAndCluster(network, kubeCluster)) ?? index.byNetwork.get(network) ?? [];
}
