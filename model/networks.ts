import type { KubeClusterObjects, MeshNetworksSpec } from './inputs.ts';
import { localityFromPodLabel } from './locality.ts';
import { serviceHostname } from './hostnames.ts';
import type { NetworkGateway, PodRecord } from './types.ts';

export const NETWORK_LABEL = 'topology.istio.io/network';
export const GATEWAY_PORT_LABEL = 'networking.istio.io/gatewayPort';
export const DEFAULT_GATEWAY_PORT = 15443;

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const baseInt = ipv4ToInt(base ?? '');
  const ipInt = ipv4ToInt(ip);
  const bits = Number(bitsText ?? '32');
  if (baseInt === undefined || ipInt === undefined || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (baseInt & mask) === (ipInt & mask);
}

/**
 * Resolves an endpoint's network as Istio does: the pod's own label wins, then the kube cluster's
 * configured network, then meshNetworks fromRegistry, then fromCidr; '' when nothing matches.
 */
export class NetworkResolver {
  private readonly byRegistry = new Map<string, string>();
  private readonly byCidr: { cidr: string; network: string }[] = [];
  private readonly clusterNetworks = new Map<string, string>();

  constructor(meshNetworks: MeshNetworksSpec, kubeClusters: readonly KubeClusterObjects[]) {
    for (const [network, spec] of Object.entries(meshNetworks.networks)) {
      for (const selector of spec.endpoints) {
        if ('fromRegistry' in selector) this.byRegistry.set(selector.fromRegistry, network);
        else this.byCidr.push({ cidr: selector.fromCidr, network });
      }
    }
    for (const cluster of kubeClusters) if (cluster.network) this.clusterNetworks.set(cluster.name, cluster.network);
  }

  networkOf(kubeCluster: string, address: string, pod: PodRecord | undefined): string {
    const label = pod?.labels[NETWORK_LABEL];
    if (label) return label;
    const configured = this.clusterNetworks.get(kubeCluster) ?? this.byRegistry.get(kubeCluster);
    if (configured) return configured;
    return this.byCidr.find((entry) => cidrContains(entry.cidr, address))?.network ?? '';
  }

  kubeClusterNetwork(kubeCluster: string): string {
    return this.clusterNetworks.get(kubeCluster) ?? this.byRegistry.get(kubeCluster) ?? '';
  }
}

/**
 * Every network's gateways: static addresses and registryServiceName from meshNetworks (looked up in
 * the network's fromRegistry kube clusters), and Services labelled topology.istio.io/network that
 * listen on the gateway port. Deduplicated and sorted by address:port.
 */
export function resolveGateways(
  meshNetworks: MeshNetworksSpec,
  kubeClusters: readonly KubeClusterObjects[],
  domainSuffix: string,
): Map<string, NetworkGateway[]> {
  const found = new Map<string, Map<string, NetworkGateway>>();
  const add = (gateway: NetworkGateway): void => {
    let byAddress = found.get(gateway.network);
    if (!byAddress) found.set(gateway.network, (byAddress = new Map()));
    // As Istio's gateway set: the same address given by meshNetworks and by a kube cluster's Service are two
    // gateways (the second one is preferred for that kube cluster's endpoints).
    const key = `${gateway.address}:${gateway.port}|${gateway.kubeCluster ?? ''}`;
    if (!byAddress.has(key)) byAddress.set(key, gateway);
  };

  for (const [network, spec] of Object.entries(meshNetworks.networks)) {
    for (const gateway of spec.gateways) {
      const locality = localityFromPodLabel(gateway.locality?.replaceAll('/', '.'));
      if ('address' in gateway) {
        add({ network, address: gateway.address, port: gateway.port, ...(locality ? { locality } : {}) });
        continue;
      }
      // As Istio (serviceregistry/kube/controller/network.go): only in the kube clusters of this
      // network's fromRegistry entries, so a Service of that name in another network's kube
      // cluster is not one of this network's gateways.
      const registries = new Set(spec.endpoints.flatMap((e) => ('fromRegistry' in e ? [e.fromRegistry] : [])));
      for (const cluster of kubeClusters) {
        if (!registries.has(cluster.name)) continue;
        for (const service of cluster.services.values()) {
          if (serviceHostname(service.name, service.namespace, domainSuffix) !== gateway.registryServiceName) continue;
          for (const address of gatewayAddresses(service, cluster, gateway.port)) {
            add({ network, ...address, kubeCluster: cluster.name, ...(locality ? { locality } : {}) });
          }
        }
      }
    }
  }

  for (const cluster of kubeClusters) {
    for (const service of cluster.services.values()) {
      const network = service.labels[NETWORK_LABEL];
      if (!network) continue;
      const port = Number(service.labels[GATEWAY_PORT_LABEL] ?? DEFAULT_GATEWAY_PORT);
      if (!service.ports.some((p) => p.port === port)) continue;
      for (const address of gatewayAddresses(service, cluster, port))
        add({ network, ...address, kubeCluster: cluster.name });
    }
  }

  const result = new Map<string, NetworkGateway[]>();
  for (const [network, byAddress] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
    result.set(
      network,
      [...byAddress.values()].sort((a, b) => compareAddress(a, b)),
    );
  }
  return result;
}

function compareAddress(a: NetworkGateway, b: NetworkGateway): number {
  return a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1;
}

/** LoadBalancer ingress IPs (or external IPs) on the gateway port; NodePort: node IPs on the node port. */
function gatewayAddresses(
  service: KubeClusterObjects['services'] extends ReadonlyMap<string, infer S> ? S : never,
  cluster: KubeClusterObjects,
  port: number,
): { address: string; port: number }[] {
  if (service.type === 'NodePort') {
    const nodePort = service.ports.find((p) => p.port === port)?.nodePort;
    if (nodePort === undefined) return [];
    return [...cluster.nodes.values()]
      .flatMap((node) => (node.externalIPs.length > 0 ? node.externalIPs : node.internalIPs))
      .map((address) => ({ address, port: nodePort }));
  }
  return [...service.loadBalancerIPs, ...service.externalIPs].map((address) => ({ address, port }));
}
