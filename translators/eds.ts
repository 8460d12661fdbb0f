import { discoveryOf } from './common/service-entry-discovery.ts';
import { isIP } from 'node:net';
import { localityKey } from '../model/locality.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { Locality, MeshService, MeshSnapshot, NetworkGateway, WorkloadEndpoint } from '../model/types.ts';
import { endpointMtls } from './common/endpoint-mtls.ts';
import { outboundClusterName, sniName } from './common/names.ts';
import { gatewayIndex, gatewaysFor, type GatewayIndex } from './common/network-gateways.ts';
import { isProxiedPort } from './common/protocol.ts';
import { filterMetadata } from './common/struct.ts';
import { endpointResource, type LbEndpoint, type XdsResource } from './resource.ts';
import type { LocalityLbEndpoints } from '../protos/generated/envoy/config/endpoint/v3/LocalityLbEndpoints.ts';
import {
  destinationRuleFor,
  effectivePolicy,
  labelsMatch,
  subsetsOf,
  type EffectivePolicy,
} from './traffic/destination-rule.ts';
import { isClusterLocal } from './traffic/cluster-local.ts';
import {
  distributeLocalityWeights,
  endpointPriorities,
  localityPolicyFor,
  NO_LOCALITY_POLICY,
  type LocalityPolicy,
  type PriorityDecision,
} from './traffic/locality-lb.ts';
import { workloadTelemetry } from './common/workload-telemetry.ts';
import { passesThroughBySni } from './gateway/selected-gateways.ts';

/** One endpoint as a proxy will see it: a workload, or a gateway standing for remote workloads. */
export interface ViewEndpoint {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly locality: Locality;
  readonly priority: number;
  /**
   * HEALTHY, or UNHEALTHY for a workload endpoint that is not ready (sent as Istio sends it, see
   * decideEndpoint); gateway endpoints carry none (UNKNOWN, which Envoy treats as healthy), as in Istio.
   */
  readonly healthStatus?: 'HEALTHY' | 'UNHEALTHY';
  /** `istio`: the client sends Istio mTLS (transport-socket match metadata); `disabled`: no metadata, plaintext. */
  readonly tlsMode: 'istio' | 'disabled';
  readonly network: string;
  readonly kubeCluster?: string;
  /** Pod labels (undefined for gateway endpoints): what failoverPriority matches. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Istio's endpoint telemetry label `workload;namespace;canonical service;revision;kube cluster`. */
  readonly telemetry: string;
  /** Set for gateway endpoints: how many workload endpoints this gateway endpoint stands for. */
  readonly standsFor?: number;
  /** Why the endpoint has its priority (for /debug explanations; not sent). */
  readonly priorityReason: string;
  /** The weight of the endpoint's locality, when localityLbSetting distribute sets it. */
  readonly localityWeight?: number;
  /** Istio's locality label when not region/zone/subzone (a WorkloadEntry's, as written): its own locality group. */
  readonly localityGroup?: string;
  /**
   * Why its kube cluster drains (karmada.drainNotReady; a gateway endpoint: when every endpoint it
   * stands for drains): it is sent behind every healthy endpoint. Not sent.
   */
  readonly draining?: string;
}

/** The key of an endpoint's locality group: Istio groups endpoints by their locality label as written. */
function localityGroupKey(endpoint: { readonly locality: Locality; readonly localityGroup?: string }): string {
  return endpoint.localityGroup ?? localityKey(endpoint.locality);
}

function sameNetwork(proxyNetwork: string, endpointNetwork: string): boolean {
  return proxyNetwork === '' || endpointNetwork === '' || proxyNetwork === endpointNetwork;
}

/** What split horizon does with one workload endpoint for one proxy view, and why. */
export type EndpointDecision =
  | { readonly kind: 'local'; readonly unhealthy?: true }
  | { readonly kind: 'via-gateway'; readonly gateways: readonly NetworkGateway[] }
  | { readonly kind: 'dropped'; readonly reason: string };

/**
 * Whether a cluster is sent its not-ready endpoints (as UNHEALTHY): Istio's supportsUnhealthyEndpoints
 * with its defaults (PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS on, PILOT_SEND_UNHEALTHY_ENDPOINTS off): yes,
 * unless the cluster's DestinationRule outlier detection sets minHealthPercent above 0 (Envoy's panic
 * mode would then route to them) and the Service sets no trafficDistribution (which always needs them,
 * to know when to spill over to another zone). Envoy and gRPC never balance to an UNHEALTHY host
 * outside panic mode; they count it when judging a priority's health.
 */
export function sendsUnhealthy(
  policy: EffectivePolicy,
  service: Pick<MeshService, 'trafficDistribution'> | undefined,
): boolean {
  if (forcesUnhealthy(service)) return true;
  return !((policy.outlierDetection?.minHealthPercent ?? 0) > 0);
}

/**
 * Istio's ForcesSupportUnhealthyEndpoints: a Service with trafficDistribution is always sent its
 * not-ready endpoints, and its clusters' panic threshold is 0 whatever minHealthPercent says.
 */
export function forcesUnhealthy(service: Pick<MeshService, 'trafficDistribution'> | undefined): boolean {
  const distribution = service?.trafficDistribution;
  return distribution !== undefined && distribution !== '';
}

/**
 * Istio's rules for one endpoint (pilot/pkg/xds/endpoints: filterIstioEndpoint, EndpointsByNetworkFilter):
 * a not-ready endpoint is left out when it is terminating (Istio's Terminating, never sent; an absent
 * terminating condition counts as terminating, as in Istio's endpointHealthStatus) or when the cluster
 * does not take unhealthy endpoints (sendsUnhealthy), else it goes on as UNHEALTHY; only networks in the proxy's REQUESTED_NETWORK_VIEW (plus endpoints without a
 * network); an endpoint is sent as is when the mesh has no gateway at all, when it is in the proxy's
 * network (or either has none), or when its network has no gateway (treated as directly reachable);
 * a proxy without a network still goes through a gateway to a network that has one; otherwise it is
 * replaced by its network's gateways (those in its kube cluster first), and only if the client sends
 * it Istio mTLS, since the gateway routes by SNI.
 */
export function decideEndpoint(
  endpoint: WorkloadEndpoint,
  index: GatewayIndex,
  view: ProxyView,
  mtls: boolean,
  sendUnhealthy = true,
): EndpointDecision {
  if (!endpoint.ready && endpoint.terminating) return { kind: 'dropped', reason: 'terminating (as Istio, never sent)' };
  if (!endpoint.ready && !sendUnhealthy)
    return {
      kind: 'dropped',
      reason: "not ready, and the DestinationRule's outlierDetection.minHealthPercent is above 0 (as Istio)",
    };
  if (
    view.requestedNetworkView.length > 0 &&
    endpoint.network !== '' &&
    !view.requestedNetworkView.includes(endpoint.network)
  ) {
    return { kind: 'dropped', reason: `network ${endpoint.network} is outside the proxy's REQUESTED_NETWORK_VIEW` };
  }
  // A WorkloadEntry without an address is reached only through its network's gateway (Istio's
  // filterIstioEndpoint): whenever it would be sent as is, it is not sent at all.
  const addressless: EndpointDecision = {
    kind: 'dropped',
    reason: "a WorkloadEntry without an address, reached only through its network's gateway",
  };
  const local: EndpointDecision =
    endpoint.address === '' ? addressless : endpoint.ready ? { kind: 'local' } : { kind: 'local', unhealthy: true };
  if (!index.multiNetwork) return local;
  const gateways = gatewaysFor(index, endpoint.network, endpoint.kubeCluster);
  const forceGateway = view.network === '' && endpoint.network !== '' && gateways.length > 0;
  if (!forceGateway && (sameNetwork(view.network, endpoint.network) || gateways.length === 0)) return local;
  const reachable = gatewaysOfFamily(gateways, view.ipFamily);
  if (reachable.length === 0)
    return {
      kind: 'dropped',
      reason: `no gateway of network ${endpoint.network} has an address of the proxy's IP family (${view.ipFamily ?? 'unknown'})`,
    };
  if (!mtls)
    return {
      kind: 'dropped',
      reason:
        'no Istio mTLS to it (tlsMode, PeerAuthentication or DestinationRule TLS): the east-west gateway routes by SNI, which needs it',
    };
  return { kind: 'via-gateway', gateways: reachable };
}

/**
 * Istio's filterGatewaysByIPFamily: a single-family proxy reaches only gateways of its family (an
 * IPv4-mapped IPv6 address counts as IPv4); a dual-stack proxy, or one of unknown family, all of them.
 */
function gatewaysOfFamily(
  gateways: readonly NetworkGateway[],
  family: ProxyView['ipFamily'],
): readonly NetworkGateway[] {
  if (family === undefined || family === 'dual') return gateways;
  return gateways.filter((gateway) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(gateway.address)?.[1];
    const version = isIP(mapped ?? gateway.address);
    return family === 'ipv4' ? version === 4 : version === 6;
  });
}

type Unprioritized = Omit<ViewEndpoint, 'priority' | 'priorityReason' | 'localityWeight'>;

/**
 * The endpoints of one cluster as a proxy will see them, as Istio builds them: every weight scaled by
 * the mesh-wide gateway factor; per locality, the endpoints kept as they are, then one endpoint per
 * gateway carrying the sum of the split weights of the remote endpoints it stands for (not-ready ones
 * included, as Istio counts them).
 */
export function viewEndpoints(
  endpoints: readonly WorkloadEndpoint[],
  gateways: ReadonlyMap<string, readonly NetworkGateway[]>,
  view: ProxyView,
  localityPolicy: LocalityPolicy = NO_LOCALITY_POLICY,
  mtlsOf: (endpoint: WorkloadEndpoint) => boolean = (e) => e.tlsMode === 'istio',
  namespace = '',
  sendUnhealthy = true,
): ViewEndpoint[] {
  const index = gatewayIndex(gateways);
  const scale = index.multiNetwork ? index.scaleFactor : 1;
  const byLocality = new Map<
    string,
    {
      locality: Locality;
      direct: Unprioritized[];
      viaGateway: Map<NetworkGateway, { shares: number[]; draining: Set<string> }>;
    }
  >();
  for (const endpoint of endpoints) {
    const mtls = mtlsOf(endpoint);
    const decision = decideEndpoint(endpoint, index, view, mtls, sendUnhealthy);
    if (decision.kind === 'dropped') continue;
    const key = localityGroupKey(endpoint);
    let group = byLocality.get(key);
    if (!group) byLocality.set(key, (group = { locality: endpoint.locality, direct: [], viaGateway: new Map() }));
    const weight = (endpoint.weight ?? 1) * scale;
    if (decision.kind === 'local') {
      group.direct.push({
        address: endpoint.address,
        port: endpoint.port,
        weight,
        locality: endpoint.locality,
        ...(endpoint.localityGroup !== undefined ? { localityGroup: endpoint.localityGroup } : {}),
        // A WorkloadEntry has no health status in Istio (UNKNOWN, which Envoy treats as healthy).
        ...(endpoint.workloadEntry === undefined
          ? { healthStatus: decision.unhealthy ? ('UNHEALTHY' as const) : ('HEALTHY' as const) }
          : {}),
        tlsMode: mtls ? 'istio' : 'disabled',
        network: endpoint.network,
        kubeCluster: endpoint.kubeCluster,
        labels: endpoint.labels,
        telemetry: workloadTelemetry(endpoint, namespace),
        ...(endpoint.draining !== undefined ? { draining: endpoint.draining } : {}),
      });
      continue;
    }
    const share = Math.floor(weight / decision.gateways.length);
    for (const gateway of decision.gateways) {
      const entry = group.viaGateway.get(gateway) ?? { shares: [], draining: new Set<string>() };
      entry.shares.push(share);
      // '' marks an endpoint that does not drain: the gateway endpoint drains only if none of them is ''.
      entry.draining.add(endpoint.draining ?? '');
      group.viaGateway.set(gateway, entry);
    }
  }
  const out: Unprioritized[] = [];
  for (const key of [...byLocality.keys()].sort()) {
    const group = byLocality.get(key)!;
    out.push(...group.direct);
    const sorted = [...group.viaGateway].sort(([a], [b]) => a.address.localeCompare(b.address) || a.port - b.port);
    for (const [gateway, { shares, draining }] of sorted) {
      out.push({
        address: gateway.address,
        port: gateway.port,
        weight: Math.max(
          1,
          shares.reduce((sum, s) => sum + s, 0),
        ),
        locality: group.locality,
        ...(key !== localityKey(group.locality) ? { localityGroup: key } : {}),

        tlsMode: 'istio',
        network: gateway.network,
        ...(gateway.kubeCluster ? { kubeCluster: gateway.kubeCluster } : {}),
        telemetry: `;;;;${gateway.kubeCluster ?? ''}`,
        standsFor: shares.length,
        ...(draining.has('') ? {} : { draining: [...draining].sort().join('; ') }),
      });
    }
  }
  return withLocalityRules(out, view, localityPolicy);
}

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

/** Priorities and distribute weights from the locality rules; distribute may drop localities. */
function withLocalityRules(
  endpoints: readonly Unprioritized[],
  view: ProxyView,
  policy: LocalityPolicy,
): ViewEndpoint[] {
  const decisions = behindDraining(endpoints, endpointPriorities(view, endpoints, policy));
  const localities = new Map<string, { locality: Locality; weight: number }>();
  for (const e of endpoints) {
    const key = localityKey(e.locality);
    const entry = localities.get(key) ?? { locality: e.locality, weight: 0 };
    localities.set(key, { ...entry, weight: entry.weight + e.weight });
  }
  const weights = distributeLocalityWeights(view, localities, policy);
  const out: ViewEndpoint[] = [];
  endpoints.forEach((e, i) => {
    const localityWeight = weights?.get(localityKey(e.locality));
    if (weights && localityWeight === undefined) return;
    const { priority, reason } = decisions[i]!;
    out.push({
      ...e,
      priority,
      priorityReason: `priority ${priority}: ${reason}`,
      ...(localityWeight !== undefined ? { localityWeight } : {}),
    });
  });
  return out;
}

/**
 * karmada.drainNotReady (opt-in; off, nothing is draining and Istio's priorities stand): endpoints of
 * kube clusters Karmada marks not ready or taints for eviction go behind every healthy endpoint, keeping
 * their order among themselves, so every proxy (Envoy's priority levels, gRPC's priority policy) sends
 * them nothing while a healthy one is up, before Karmada evicts their pods. When every endpoint drains
 * there is nowhere better to go: the priorities stay as they are.
 */
function behindDraining(
  endpoints: readonly Unprioritized[],
  decisions: readonly PriorityDecision[],
): PriorityDecision[] {
  const drains = endpoints.map((e) => e.draining !== undefined);
  if (!drains.some(Boolean)) return [...decisions];
  if (drains.every(Boolean))
    return decisions.map((d, i) => ({
      priority: d.priority,
      reason: `${d.reason}; ${endpoints[i]!.draining} but no endpoint is healthier (karmada.drainNotReady): priority kept`,
    }));
  const behind = Math.max(...decisions.map((d) => d.priority)) + 1;
  const ranks = decisions.map((d, i) => (drains[i] ? behind + d.priority : d.priority));
  const distinct = [...new Set(ranks)].sort((a, b) => a - b);
  return decisions.map((d, i) => ({
    priority: distinct.indexOf(ranks[i]!),
    reason: drains[i]
      ? `${d.reason}; then behind every healthy endpoint: ${endpoints[i]!.draining} (karmada.drainNotReady)`
      : d.reason,
  }));
}

function lbEndpoint(endpoint: ViewEndpoint): LbEndpoint {
  return {
    endpoint: { address: { socket_address: { address: endpoint.address, port_value: endpoint.port } } },
    ...(endpoint.healthStatus ? { health_status: endpoint.healthStatus } : {}),
    load_balancing_weight: { value: endpoint.weight },
    metadata: filterMetadata({
      ...(endpoint.tlsMode === 'istio' ? { 'envoy.transport_socket_match': { tlsMode: 'istio' } } : {}),
      istio: { workload: endpoint.telemetry },
    }),
  };
}

/** A ClusterLoadAssignment: endpoints grouped by (locality, priority), locality weights summed. */
export function clusterLoadAssignment(clusterName: string, endpoints: readonly ViewEndpoint[]): XdsResource {
  const groups = new Map<string, ViewEndpoint[]>();
  for (const endpoint of endpoints) {
    const key = `${endpoint.priority}|${localityGroupKey(endpoint)}`;
    const group = groups.get(key) ?? [];
    group.push(endpoint);
    groups.set(key, group);
  }
  const localityEndpoints = [...groups.values()].map((group): LocalityLbEndpoints => {
    const first = group[0]!;
    return {
      // Empty parts left out, as Istio's proto3 encoding does.
      locality: {
        ...(first.locality.region ? { region: first.locality.region } : {}),
        ...(first.locality.zone ? { zone: first.locality.zone } : {}),
        ...(first.locality.subZone ? { sub_zone: first.locality.subZone } : {}),
      },
      lb_endpoints: group.map(lbEndpoint),
      load_balancing_weight: { value: first.localityWeight ?? group.reduce((sum, e) => sum + e.weight, 0) },
      ...(first.priority > 0 ? { priority: first.priority } : {}),
    };
  });
  return endpointResource(clusterName, { cluster_name: clusterName, endpoints: localityEndpoints });
}

/** One EDS cluster of a service for a view: its name, the workload endpoints it draws from, and what is sent. */
export interface ServiceCluster {
  readonly cluster: string;
  readonly endpoints: readonly WorkloadEndpoint[];
  /** What split horizon decided for each of `endpoints`, in the same order. */
  readonly decisions: readonly EndpointDecision[];
  readonly sent: readonly ViewEndpoint[];
}

/**
 * Proxyless gRPC: each address once (uniqueAddresses), and one locality group per locality and priority:
 * Istio groups endpoints by their locality label as written, so a WorkloadEntry's "region1/zone1a" and a
 * pod's region1/zone1a/ become two groups with the same Locality, which grpc-go NACKs ("duplicate
 * locality ... with the same priority").
 */
function forClient(view: ProxyView, endpoints: ViewEndpoint[]): ViewEndpoint[] {
  if (view.generator !== 'grpc') return endpoints;
  return uniqueAddresses(endpoints).map((endpoint) => {
    if (endpoint.localityGroup === undefined) return endpoint;
    const { localityGroup: _asWritten, ...merged } = endpoint;
    return merged;
  });
}

function serviceCluster(
  snapshot: MeshSnapshot,
  view: ProxyView,
  service: MeshService,
  cluster: string,
  endpoints: readonly WorkloadEndpoint[],
  policy: ReturnType<typeof effectivePolicy>,
): ServiceCluster {
  const mtlsOf = endpointMtls(snapshot, policy, service.namespace);
  const index = gatewayIndex(snapshot.gateways);
  const sendUnhealthy = sendsUnhealthy(policy, service);
  return {
    cluster,
    endpoints,
    decisions: endpoints.map((e) => decideEndpoint(e, index, view, mtlsOf(e), sendUnhealthy)),
    sent: forClient(
      view,
      viewEndpoints(
        endpoints,
        snapshot.gateways,
        view,
        localityPolicyFor(policy, service, snapshot.meshConfig?.localityLbSetting),
        mtlsOf,
        service.namespace,
        sendUnhealthy,
      ),
    ),
  };
}

/**
 * The outbound EDS clusters of a service for a view: `outbound|<port>||<fqdn>` per port and
 * `outbound|<port>|<subset>|<fqdn>` per subset of its DestinationRule (endpoints whose pod labels
 * match the subset's labels), each with the rule's TLS and locality settings for that port and
 * subset. Pure.
 */
export function serviceClusters(snapshot: MeshSnapshot, view: ProxyView, service: MeshService): ServiceCluster[] {
  const out: ServiceCluster[] = [];
  const byPort = snapshot.endpoints.get(service.hostname);
  const rule = destinationRuleFor(snapshot.istioConfig, service, view.namespace, snapshot.domainSuffix);
  // A cluster-local service (mesh.serviceSettings) sends only the proxy's own kube cluster's endpoints, as Istio.
  const clusterLocal = isClusterLocal(service.hostname, snapshot.meshConfig, snapshot.domainSuffix);
  for (const port of service.ports) {
    const all = byPort?.get(port.port) ?? [];
    const endpoints = clusterLocal ? all.filter((e) => e.kubeCluster === view.kubeCluster) : all;
    const name = outboundClusterName(port.port, '', service.hostname);
    out.push(serviceCluster(snapshot, view, service, name, endpoints, effectivePolicy(rule, port.port)));
    for (const subset of subsetsOf(rule)) {
      const selected = endpoints.filter((e) => labelsMatch(subset.labels, e.labels));
      const subsetName = outboundClusterName(port.port, subset.name, service.hostname);
      out.push(serviceCluster(snapshot, view, service, subsetName, selected, effectivePolicy(rule, port.port, subset)));
    }
  }
  return out;
}

/**
 * EDS of one service as the proxy's view sees it: the clusters of serviceClusters, and for
 * east-west gateways passing mTLS through by SNI (AUTO_PASSTHROUGH Gateway, or sni-dnat without one) also `outbound_.<port>_.<subset>_.<fqdn>` (whole service and
 * each subset): as Istio, the same endpoints as the outbound cluster, only those reached with Istio
 * mTLS (the gateway passes TLS through and cannot tell plaintext from mTLS). Pure.
 */
export function serviceEndpoints(snapshot: MeshSnapshot, view: ProxyView, service: MeshService): XdsResource[] {
  // DNS clusters carry their endpoints inline and ORIGINAL_DST clusters have none: no EDS for them.
  if (discoveryOf(service, view) !== 'EDS') return [];
  const clusters = serviceClusters(snapshot, view, service);
  const out = clusters.map(({ cluster, sent }) => clusterLoadAssignment(cluster, sent));
  if (service.headless || !passesThroughBySni(snapshot, view)) return withoutEndpointsOfNonStatic(service, out);
  const proxied = new Set(service.ports.filter(isProxiedPort).map((p) => p.port));
  for (const { cluster, sent } of clusters) {
    const parts = cluster.split('|');
    const port = Number(parts[1]);
    if (!proxied.has(port)) continue;
    const mtlsOnly = sent.filter((e) => e.tlsMode === 'istio');
    out.push(clusterLoadAssignment(sniName(port, parts[2] ?? '', service.hostname), mtlsOnly));
  }
  return withoutEndpointsOfNonStatic(service, out);
}

/** Istio's EDS of a DNS or NONE ServiceEntry host (proxyless gRPC, a router's NONE clusters): no endpoints. */
function withoutEndpointsOfNonStatic(service: MeshService, resources: XdsResource[]): XdsResource[] {
  const resolution = service.serviceEntry?.resolution;
  if (resolution === undefined || resolution === 'STATIC') return resources;
  return resources.map((resource) => clusterLoadAssignment(resource.name, []));
}

/** EDS for every service of the mesh, as the proxy's view sees it. Pure. */
export function buildEndpoints(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return [...snapshot.services.values()].flatMap((service) => serviceEndpoints(snapshot, view, service));
}
