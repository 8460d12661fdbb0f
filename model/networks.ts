import { isIP } from 'node:net';
import type { KubeClusterObjects, MeshNetworksSpec } from './inputs.ts';
import { localityFromPodLabel } from './locality.ts';
import { serviceHostname } from './hostnames.ts';
import type { KubeServiceRecord, NetworkGateway, PodRecord } from './types.ts';

export const NETWORK_LABEL = 'topology.istio.io/network';
export const GATEWAY_PORT_LABEL = 'networking.istio.io/gatewayPort';
export const DEFAULT_GATEWAY_PORT = 15443;
/** Istio's system namespace: its topology.istio.io/network label is its kube cluster's network. */
export const SYSTEM_NAMESPACE = 'istio-system';

/** The kube cluster's network from its istio-system Namespace's label ('' when unlabelled or unknown). */
export function systemNamespaceNetwork(cluster: KubeClusterObjects): string {
  return cluster.namespaces?.get(SYSTEM_NAMESPACE)?.network ?? '';
}

/** An IP address as a number of its family's width (IPv4: 32 bits, IPv6: 128), or undefined. */
function ipToBigInt(ip: string): { value: bigint; bits: number } | undefined {
  const family = isIP(ip);
  if (family === 4) {
    return { value: ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n), bits: 32 };
  }
  if (family !== 6) return undefined;
  let text = ip.split('%')[0] ?? '';
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4 !== undefined) {
    const n = ipToBigInt(v4)?.value ?? 0n;
    text = `${text.slice(0, -v4.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return { value: groups.reduce((acc, group) => (acc << 16n) + BigInt(parseInt(group, 16)), 0n), bits: 128 };
}

/** Whether `ip` is in `cidr`, IPv4 or IPv6 (an address of the other family never is, as Go's net.IPNet). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const network = ipToBigInt(base ?? '');
  const address = ipToBigInt(ip);
  if (network === undefined || address === undefined || network.bits !== address.bits) return false;
  const bits = Number(bitsText ?? String(network.bits));
  if (!Number.isInteger(bits) || bits < 0 || bits > network.bits) return false;
  const shift = BigInt(network.bits - bits);
  return network.value >> shift === address.value >> shift;
}

/**
 * Resolves an endpoint's network as Istio does (kube/controller Network()): the pod's own label wins,
 * then the kube cluster's istio-system Namespace label, then the kube cluster's configured network
 * (clusters[].network), then meshNetworks fromRegistry, then fromCidr; '' when nothing matches.
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
    for (const cluster of kubeClusters) {
      const network = systemNamespaceNetwork(cluster) || cluster.network;
      if (network) this.clusterNetworks.set(cluster.name, network);
    }
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
 * The networks config and kube clusters name: meshNetworks' networks, each kube cluster's network
 * (its istio-system Namespace's label, else clusters[].network) and every network with gateways. Sorted.
 */
export function namedNetworks(
  meshNetworks: MeshNetworksSpec,
  kubeClusters: readonly KubeClusterObjects[],
  gateways: ReadonlyMap<string, unknown>,
): string[] {
  const names = new Set([...Object.keys(meshNetworks.networks), ...gateways.keys()]);
  for (const cluster of kubeClusters) {
    const network = systemNamespaceNetwork(cluster) || cluster.network;
    if (network) names.add(network);
  }
  names.delete('');
  return [...names].sort();
}

/** Every name gateways are given by (LoadBalancer ingress hostnames, meshNetworks addresses) and what it resolves to. */
export type ResolvedHostnames = ReadonlyMap<string, readonly string[]>;

/**
 * Every network's gateways, as Istio finds them (serviceregistry/kube/controller/network.go,
 * model/network.go): meshNetworks addresses; per kube cluster, a Service labelled
 * topology.istio.io/network that listens on its networking.istio.io/gatewayPort (default 15443), or
 * else one named by a meshNetworks registryServiceName of a network whose fromRegistry names that
 * kube cluster, on their external addresses (see gatewayAddresses). Addresses that are hostnames
 * become one gateway per address `resolved` gives them (none while unresolved, as Istio).
 * Deduplicated and sorted by address:port.
 */
export function resolveGateways(
  meshNetworks: MeshNetworksSpec,
  kubeClusters: readonly KubeClusterObjects[],
  domainSuffix: string,
  resolved: ResolvedHostnames = new Map(),
): Map<string, NetworkGateway[]> {
  const found = new Map<string, Map<string, NetworkGateway>>();
  const add = (gateway: NetworkGateway): void => {
    for (const address of isIP(gateway.address) ? [gateway.address] : (resolved.get(gateway.address) ?? [])) {
      let byAddress = found.get(gateway.network);
      if (!byAddress) found.set(gateway.network, (byAddress = new Map()));
      // As Istio's gateway set: the same address given by meshNetworks and by a kube cluster's Service are two
      // gateways (the second one is preferred for that kube cluster's endpoints).
      const key = `${address}:${gateway.port}|${gateway.kubeCluster ?? ''}`;
      const hostname = address === gateway.address ? {} : { hostname: gateway.address };
      if (!byAddress.has(key)) byAddress.set(key, { ...gateway, address, ...hostname });
    }
  };
  for (const gateway of unresolvedGateways(meshNetworks, kubeClusters, domainSuffix)) add(gateway);

  const result = new Map<string, NetworkGateway[]>();
  for (const [network, byAddress] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
    result.set(
      network,
      [...byAddress.values()].sort((a, b) => compareAddress(a, b)),
    );
  }
  return result;
}

/** The hostnames among the gateways' addresses: what the server resolves with DNS (sorted). */
export function gatewayHostnames(
  meshNetworks: MeshNetworksSpec,
  kubeClusters: readonly KubeClusterObjects[],
  domainSuffix: string,
): string[] {
  const names = new Set<string>();
  for (const gateway of unresolvedGateways(meshNetworks, kubeClusters, domainSuffix))
    if (!isIP(gateway.address)) names.add(gateway.address);
  return [...names].sort();
}

/** Every gateway with its address as given (an IP or a hostname). */
function unresolvedGateways(
  meshNetworks: MeshNetworksSpec,
  kubeClusters: readonly KubeClusterObjects[],
  domainSuffix: string,
): NetworkGateway[] {
  const out: NetworkGateway[] = [];
  for (const [network, spec] of Object.entries(meshNetworks.networks)) {
    for (const gateway of spec.gateways) {
      if (!('address' in gateway)) continue;
      const locality = localityFromPodLabel(gateway.locality?.replaceAll('/', '.'));
      out.push({ network, address: gateway.address, port: gateway.port, ...(locality ? { locality } : {}) });
    }
  }
  for (const cluster of kubeClusters) {
    const byServiceName = registryServiceGateways(meshNetworks, cluster.name);
    for (const service of cluster.services.values()) {
      for (const gateway of serviceGateways(service, byServiceName, domainSuffix))
        for (const address of gatewayAddresses(service, cluster, gateway.port))
          out.push({ ...gateway, ...address, kubeCluster: cluster.name });
    }
  }
  return out;
}

type GatewayOfService = Omit<NetworkGateway, 'address' | 'kubeCluster'>;

/**
 * Istio's reloadMeshNetworks: the meshNetworks registryServiceName gateways of the networks whose
 * fromRegistry names this kube cluster (a Service of that name in another network's kube cluster is
 * not one of this network's gateways), by service FQDN.
 */
function registryServiceGateways(meshNetworks: MeshNetworksSpec, kubeCluster: string): Map<string, GatewayOfService[]> {
  const out = new Map<string, GatewayOfService[]>();
  for (const [network, spec] of Object.entries(meshNetworks.networks)) {
    if (!spec.endpoints.some((e) => 'fromRegistry' in e && e.fromRegistry === kubeCluster)) continue;
    for (const gateway of spec.gateways) {
      if (!('registryServiceName' in gateway)) continue;
      const locality = localityFromPodLabel(gateway.locality?.replaceAll('/', '.'));
      const list = out.get(gateway.registryServiceName) ?? [];
      list.push({ network, port: gateway.port, ...(locality ? { locality } : {}) });
      out.set(gateway.registryServiceName, list);
    }
  }
  return out;
}

/**
 * Istio's getGatewayDetails: a Service labelled topology.istio.io/network is that network's gateway
 * on its gateway port, if it has that port (a bad networking.istio.io/gatewayPort falls back to
 * 15443); otherwise the registryServiceName gateways naming it.
 */
function serviceGateways(
  service: KubeServiceRecord,
  byServiceName: ReadonlyMap<string, readonly GatewayOfService[]>,
  domainSuffix: string,
): readonly GatewayOfService[] {
  const network = service.labels[NETWORK_LABEL];
  if (network) {
    const label = service.labels[GATEWAY_PORT_LABEL];
    const parsed = label === undefined ? NaN : Number.parseInt(label, 10);
    const port = Number.isInteger(parsed) && String(parsed) === label?.trim() ? parsed : DEFAULT_GATEWAY_PORT;
    return service.ports.some((p) => p.port === port) ? [{ network, port }] : [];
  }
  return byServiceName.get(serviceHostname(service.name, service.namespace, domainSuffix)) ?? [];
}

/**
 * Istio's ClusterExternalAddresses (kube/conversion.go, controller.go): a LoadBalancer's ingress IPs
 * (or hostnames) and any Service's externalIPs; with none, a NodePort Service annotated
 * traffic.istio.io/nodeSelector is reached on the ExternalIP of each node its selector matches. A
 * NodePort Service so annotated maps the gateway port to its node port.
 */
function gatewayAddresses(
  service: KubeServiceRecord,
  cluster: KubeClusterObjects,
  port: number,
): { address: string; port: number }[] {
  const nodePortGateway = service.type === 'NodePort' && service.nodeSelector !== undefined;
  const mapped = nodePortGateway ? (service.ports.find((p) => p.port === port)?.nodePort ?? port) : port;
  const external = [
    ...(service.type === 'LoadBalancer' ? [...service.loadBalancerIPs, ...(service.loadBalancerHostnames ?? [])] : []),
    ...service.externalIPs,
  ];
  if (external.length > 0) return external.map((address) => ({ address, port: mapped }));
  if (!nodePortGateway) return [];
  const selector = Object.entries(service.nodeSelector ?? {});
  return [...cluster.nodes.values()]
    .filter((node) => selector.every(([key, value]) => node.labels?.[key] === value))
    .flatMap((node) => node.externalIPs.slice(0, 1))
    .map((address) => ({ address, port: mapped }));
}

function compareAddress(a: NetworkGateway, b: NetworkGateway): number {
  return a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1;
}
