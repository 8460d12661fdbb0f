import { ENDPOINT_TYPE } from '../protos/type-urls.ts';
import { localityKey, parseLocalityKey } from '../model/locality.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { Locality, MeshService, MeshSnapshot, NetworkGateway, WorkloadEndpoint } from '../model/types.ts';
import { outboundClusterName, sniName } from './common/names.ts';
import { isProxiedPort } from './common/protocol.ts';
import { filterMetadata } from './common/struct.ts';
import type { XdsResource } from './resource.ts';
import {
  destinationRuleFor,
  effectivePolicy,
  labelsMatch,
  subsetsOf,
  type EffectivePolicy,
} from './traffic/destination-rule.ts';
import {
  contiguousPriorities,
  distributeWeights,
  NO_LOCALITY_POLICY,
  priorityRank,
  type LocalityPolicy,
} from './traffic/locality-lb.ts';

/** One endpoint as a proxy will see it: a workload, or a gateway standing for remote workloads. */
export interface ViewEndpoint {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly locality: Locality;
  readonly priority: number;
  readonly healthStatus: 'HEALTHY' | 'DRAINING';
  readonly tlsMode: 'istio' | 'disabled';
  readonly network: string;
  readonly kubeCluster?: string;
  /** Set for gateway endpoints: how many workload endpoints this gateway endpoint stands for. */
  readonly standsFor?: number;
  /** Why the endpoint has its priority (for /debug explanations; not sent). */
  readonly priorityReason: string;
  /** localityLbSetting.distribute: the weight of the endpoint's locality, replacing the sum of endpoint weights. */
  readonly localityWeight?: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

function sameNetwork(proxyNetwork: string, endpointNetwork: string): boolean {
  return proxyNetwork === '' || endpointNetwork === '' || proxyNetwork === endpointNetwork;
}

function usable(endpoint: WorkloadEndpoint): 'HEALTHY' | 'DRAINING' | undefined {
  if (endpoint.ready) return 'HEALTHY';
  if (endpoint.serving && endpoint.terminating) return 'DRAINING';
  return undefined;
}

/** What split horizon does with one workload endpoint for one proxy view, and why. */
export type EndpointDecision =
  | { readonly kind: 'local'; readonly health: 'HEALTHY' | 'DRAINING' }
  | { readonly kind: 'via-gateway' }
  | { readonly kind: 'dropped'; readonly reason: string };

export function decideEndpoint(
  endpoint: WorkloadEndpoint,
  gateways: ReadonlyMap<string, readonly NetworkGateway[]>,
  view: ProxyView,
): EndpointDecision {
  const health = usable(endpoint);
  if (!health) return { kind: 'dropped', reason: 'not ready and not serving-while-terminating' };
  if (sameNetwork(view.network, endpoint.network)) return { kind: 'local', health };
  if (view.requestedNetworkView.length > 0 && !view.requestedNetworkView.includes(endpoint.network)) {
    return { kind: 'dropped', reason: `network ${endpoint.network} is outside the proxy's REQUESTED_NETWORK_VIEW` };
  }
  if (health !== 'HEALTHY') return { kind: 'dropped', reason: 'draining endpoints are not sent across networks' };
  if (endpoint.tlsMode !== 'istio')
    return {
      kind: 'dropped',
      reason: `no mTLS (tlsMode ${endpoint.tlsMode}): the east-west gateway routes by SNI, which needs Istio mTLS`,
    };
  if ((gateways.get(endpoint.network) ?? []).length === 0)
    return { kind: 'dropped', reason: `network ${endpoint.network} has no gateway: unreachable from ${view.network}` };
  return { kind: 'via-gateway' };
}

/**
 * The endpoints of one service port as seen by a proxy, with Istio's split-horizon rules:
 * endpoints of the proxy's network are kept; those of another network are replaced by that
 * network's gateways, one gateway endpoint per (gateway, source locality), weighted by the
 * endpoints it stands for summed over every locality (not the first one: istio/istio#56355);
 * all weights are scaled by the LCM of gateway counts so the split across gateways is exact;
 * endpoints without mTLS never cross networks; a network without gateways is unreachable.
 */
export function viewEndpoints(
  endpoints: readonly WorkloadEndpoint[],
  gateways: ReadonlyMap<string, readonly NetworkGateway[]>,
  view: ProxyView,
  localityPolicy: LocalityPolicy = NO_LOCALITY_POLICY,
): ViewEndpoint[] {
  const local: { endpoint: WorkloadEndpoint; health: 'HEALTHY' | 'DRAINING' }[] = [];
  const remote = new Map<string, Map<string, number>>(); // network → locality key → endpoint count
  for (const endpoint of endpoints) {
    const decision = decideEndpoint(endpoint, gateways, view);
    if (decision.kind === 'dropped') continue;
    if (decision.kind === 'local') {
      local.push({ endpoint, health: decision.health });
      continue;
    }
    let byLocality = remote.get(endpoint.network);
    if (!byLocality) remote.set(endpoint.network, (byLocality = new Map()));
    const key = localityKey(endpoint.locality);
    byLocality.set(key, (byLocality.get(key) ?? 0) + 1);
  }

  let scale = 1;
  for (const network of remote.keys()) scale = lcm(scale, gateways.get(network)!.length);

  const out: Unprioritized[] = local.map(({ endpoint, health }) => ({
    address: endpoint.address,
    port: endpoint.port,
    weight: scale,
    locality: endpoint.locality,
    healthStatus: health,
    tlsMode: endpoint.tlsMode,
    network: endpoint.network,
    kubeCluster: endpoint.kubeCluster,
  }));
  for (const [network, byLocality] of [...remote].sort(([a], [b]) => a.localeCompare(b))) {
    const networkGateways = gateways.get(network)!;
    const share = scale / networkGateways.length;
    for (const [key, count] of [...byLocality].sort(([a], [b]) => a.localeCompare(b))) {
      for (const gateway of networkGateways) {
        out.push({
          address: gateway.address,
          port: gateway.port,
          weight: Math.max(1, count * share),
          locality: parseLocalityKey(key),
          healthStatus: 'HEALTHY',
          tlsMode: 'istio',
          network,
          ...(gateway.kubeCluster ? { kubeCluster: gateway.kubeCluster } : {}),
          standsFor: count,
        });
      }
    }
  }
  return withPriorities(out, view, localityPolicy);
}

type Unprioritized = Omit<ViewEndpoint, 'priority' | 'priorityReason' | 'localityWeight'>;

/**
 * One endpoint per address for proxyless gRPC clients: a gateway standing for remote endpoints of
 * several localities appears once per locality in viewEndpoints (as istiod sends it), but gRPC's xDS
 * clients NACK a ClusterLoadAssignment with an address twice, across all localities and priorities
 * (gRFC A27; grpc-go "duplicate endpoint with the same address"). The copies are merged into the one
 * of the best priority, weights and the endpoints stood for summed.
 */
export function uniqueAddresses(endpoints: readonly ViewEndpoint[]): ViewEndpoint[] {
  const keyOf = (e: ViewEndpoint) => `${e.address}:${e.port}`;
  const merged = new Map<string, ViewEndpoint>();
  for (const endpoint of endpoints) {
    const kept = merged.get(keyOf(endpoint));
    if (!kept) {
      merged.set(keyOf(endpoint), endpoint);
      continue;
    }
    const [best, other] = endpoint.priority < kept.priority ? [endpoint, kept] : [kept, endpoint];
    const standsFor = (best.standsFor ?? 0) + (other.standsFor ?? 0);
    merged.set(keyOf(endpoint), {
      ...best,
      weight: best.weight + other.weight,
      ...(standsFor > 0 ? { standsFor } : {}),
    });
  }
  if (merged.size === endpoints.length) return [...endpoints];
  // A priority whose only endpoints were merged away leaves a gap; gRPC needs priorities 0..n-1.
  const kept = [...merged.values()];
  const priorities = [...new Set(kept.map((e) => e.priority))].sort((a, b) => a - b);
  const emitted = new Set<string>();
  const out: ViewEndpoint[] = [];
  for (const endpoint of endpoints) {
    const key = keyOf(endpoint);
    if (emitted.has(key)) continue;
    emitted.add(key);
    const e = merged.get(key)!;
    const priority = priorities.indexOf(e.priority);
    out.push(
      priority === e.priority
        ? e
        : { ...e, priority, priorityReason: `${e.priorityReason}; priority ${priority} once merged` },
    );
  }
  return out;
}

/** Priorities (made contiguous) and distribute weights from the locality rules; distribute may drop localities. */
function withPriorities(endpoints: readonly Unprioritized[], view: ProxyView, policy: LocalityPolicy): ViewEndpoint[] {
  const ranks = endpoints.map((e) => priorityRank(view, e, policy));
  const priorities = contiguousPriorities(ranks.map((r) => r.rank));
  const weights = distributeWeights(view, endpoints, policy.setting);
  const out: ViewEndpoint[] = [];
  endpoints.forEach((e, i) => {
    const localityWeight = weights?.[i];
    if (weights && localityWeight === undefined) return;
    const priority = priorities[i]!;
    const { rank, reason } = ranks[i]!;
    const raw = rank.join('.');
    const compressed = raw === String(priority) ? '' : ` (raw ${raw}, compressed to contiguous priorities)`;
    out.push({
      ...e,
      priority,
      priorityReason: `priority ${priority}: ${reason}${compressed}`,
      ...(localityWeight !== undefined ? { localityWeight } : {}),
    });
  });
  return out;
}

function lbEndpoint(endpoint: ViewEndpoint): Record<string, unknown> {
  const istioMetadata: Record<string, string> = { network: endpoint.network };
  if (endpoint.kubeCluster) istioMetadata.cluster = endpoint.kubeCluster;
  return {
    endpoint: { address: { socket_address: { address: endpoint.address, port_value: endpoint.port } } },
    health_status: endpoint.healthStatus,
    load_balancing_weight: { value: endpoint.weight },
    metadata: filterMetadata({ 'envoy.transport_socket_match': { tlsMode: endpoint.tlsMode }, istio: istioMetadata }),
  };
}

/** A ClusterLoadAssignment: endpoints grouped by (locality, priority), locality weights summed. */
export function clusterLoadAssignment(clusterName: string, endpoints: readonly ViewEndpoint[]): XdsResource {
  const groups = new Map<string, ViewEndpoint[]>();
  for (const endpoint of endpoints) {
    const key = `${endpoint.priority}|${localityKey(endpoint.locality)}`;
    const group = groups.get(key) ?? [];
    group.push(endpoint);
    groups.set(key, group);
  }
  const localityEndpoints = [...groups.values()].map((group) => {
    const first = group[0]!;
    return {
      locality: { region: first.locality.region, zone: first.locality.zone, sub_zone: first.locality.subZone },
      lb_endpoints: group.map(lbEndpoint),
      load_balancing_weight: { value: first.localityWeight ?? group.reduce((sum, e) => sum + e.weight, 0) },
      ...(first.priority > 0 ? { priority: first.priority } : {}),
    };
  });
  return {
    name: clusterName,
    typeUrl: ENDPOINT_TYPE,
    object: { cluster_name: clusterName, endpoints: localityEndpoints },
  };
}

/** The local-network endpoints only: what an east-west gateway forwards SNI traffic to. */
function localNetworkEndpoints(endpoints: readonly WorkloadEndpoint[], view: ProxyView): ViewEndpoint[] {
  const local = endpoints.filter((e) => sameNetwork(view.network, e.network));
  return viewEndpoints(local, new Map(), view);
}

/** One EDS cluster of a service for a view: its name, the workload endpoints it draws from, and what is sent. */
export interface ServiceCluster {
  readonly cluster: string;
  readonly endpoints: readonly WorkloadEndpoint[];
  readonly sent: readonly ViewEndpoint[];
}

function localityPolicyFor(policy: EffectivePolicy, view: ProxyView): LocalityPolicy {
  const setting = policy.loadBalancer?.localityLbSetting;
  return {
    ...(setting ? { setting } : {}),
    applyFailover: view.generator === 'grpc' || policy.outlierDetection !== undefined,
  };
}

function forClient(view: ProxyView, endpoints: ViewEndpoint[]): ViewEndpoint[] {
  return view.generator === 'grpc' ? uniqueAddresses(endpoints) : endpoints;
}

/**
 * The outbound EDS clusters of a service for a view: `outbound|<port>||<fqdn>` per port and
 * `outbound|<port>|<subset>|<fqdn>` per subset of its DestinationRule (endpoints whose pod labels
 * match the subset's labels; remote ones through their gateways, standing for the matching ones
 * only), each with the rule's locality settings for that port and subset. Pure.
 */
export function serviceClusters(snapshot: MeshSnapshot, view: ProxyView, service: MeshService): ServiceCluster[] {
  const out: ServiceCluster[] = [];
  const byPort = snapshot.endpoints.get(service.hostname);
  const rule = destinationRuleFor(snapshot.istioConfig, service, view.namespace, snapshot.domainSuffix);
  for (const port of service.ports) {
    const endpoints = byPort?.get(port.port) ?? [];
    const policy = localityPolicyFor(effectivePolicy(rule, port.port), view);
    out.push({
      cluster: outboundClusterName(port.port, '', service.hostname),
      endpoints,
      sent: forClient(view, viewEndpoints(endpoints, snapshot.gateways, view, policy)),
    });
    for (const subset of subsetsOf(rule)) {
      const selected = endpoints.filter((e) => labelsMatch(subset.labels, e.labels));
      const subsetPolicy = localityPolicyFor(effectivePolicy(rule, port.port, subset), view);
      out.push({
        cluster: outboundClusterName(port.port, subset.name, service.hostname),
        endpoints: selected,
        sent: forClient(view, viewEndpoints(selected, snapshot.gateways, view, subsetPolicy)),
      });
    }
  }
  return out;
}

/**
 * EDS of one service as the proxy's view sees it: the clusters of serviceClusters, and for
 * east-west gateways in sni-dnat mode also `outbound_.<port>_.<subset>_.<fqdn>` (whole service and
 * each subset) with local endpoints. Pure.
 */
export function serviceEndpoints(snapshot: MeshSnapshot, view: ProxyView, service: MeshService): XdsResource[] {
  const out = serviceClusters(snapshot, view, service).map(({ cluster, sent }) => clusterLoadAssignment(cluster, sent));
  if (view.proxyType !== 'router' || view.routerMode !== 'sni-dnat' || service.headless) return out;
  const byPort = snapshot.endpoints.get(service.hostname);
  const subsets = subsetsOf(destinationRuleFor(snapshot.istioConfig, service, view.namespace, snapshot.domainSuffix));
  for (const port of service.ports) {
    if (!isProxiedPort(port)) continue;
    const endpoints = byPort?.get(port.port) ?? [];
    out.push(clusterLoadAssignment(sniName(port.port, '', service.hostname), localNetworkEndpoints(endpoints, view)));
    for (const subset of subsets) {
      const selected = endpoints.filter((e) => labelsMatch(subset.labels ?? {}, e.labels));
      out.push(
        clusterLoadAssignment(sniName(port.port, subset.name, service.hostname), localNetworkEndpoints(selected, view)),
      );
    }
  }
  return out;
}

/** EDS for every service of the mesh, as the proxy's view sees it. Pure. */
export function buildEndpoints(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return [...snapshot.services.values()].flatMap((service) => serviceEndpoints(snapshot, view, service));
}
