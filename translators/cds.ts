import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshService, MeshSnapshot, ServicePort } from '../model/types.ts';
import type { Subset } from '../model/istio/types.ts';
import { altStatName, edsCluster, istioClusterMetadata, meshConnectTimeoutMs } from './common/cluster-common.ts';
import { grpcUpstreamTls } from './grpc/tls.ts';
import { buildInboundClusters } from './sidecar/inbound-clusters.ts';
import { outboundClusterName, sniName } from './common/names.ts';
import { portProtocol } from './common/protocol.ts';
import { clusterResource, type XdsResource } from './resource.ts';
import { buildSniDnatClusters, sniDnatTargets } from './gateway/sni-clusters.ts';
import type { Cluster } from '../protos/generated/envoy/config/cluster/v3/Cluster.ts';
import { passesThroughBySni } from './gateway/selected-gateways.ts';
import { blackHoleCluster, inboundPassthroughCluster, passthroughCluster } from './common/special-clusters.ts';
import { serviceSpiffeUris } from './security/istio-tls.ts';
import { envoyPolicyFields, grpcPolicyFields } from './traffic/cluster-policy.ts';
import { destinationRuleFor, effectivePolicy, subsetsOf, type DestinationRule } from './traffic/destination-rule.ts';
import { autoSniOptions, envoyTransport } from './traffic/envoy-tls.ts';
import { gatewayEjectionRemedy } from './traffic/gateway-ejection.ts';
import { clusterLoadAssignment, forcesUnhealthy, serviceClusters } from './eds.ts';
import { discoveryOf, nonEdsFields } from './common/service-entry-discovery.ts';
import { duration } from '../protos/any.ts';
import type { ClusterLoadAssignment } from '../protos/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.ts';

interface ClusterTarget {
  readonly service: MeshService;
  readonly port: ServicePort;
  readonly subset?: Subset;
  readonly rule?: DestinationRule;
}

function envoyOutboundCluster(
  snapshot: MeshSnapshot,
  view: ProxyView,
  { service, port, subset, rule }: ClusterTarget,
  inline: InlineEndpoints,
): XdsResource | undefined {
  const subsetName = subset?.name ?? '';
  const name = outboundClusterName(port.port, subsetName, service.hostname);
  const policy = effectivePolicy(rule, port.port, subset);
  const sans = serviceSpiffeUris(
    snapshot.trustDomain,
    snapshot.meshConfig?.trustDomainAliases,
    service.namespace,
    service.serviceAccounts,
  );
  const remedy = gatewayEjectionRemedy(snapshot, view, service, policy);
  const discovery = discoveryOf(service, view);
  const base =
    discovery === 'EDS'
      ? edsCluster(name, meshConnectTimeoutMs(snapshot))
      : nonEdsFields(discovery, view, inline(name));
  if (base === undefined) return undefined;
  return clusterResource(name, {
    ...(discovery === 'EDS'
      ? {}
      : { name, alt_stat_name: altStatName(name), connect_timeout: duration(meshConnectTimeoutMs(snapshot)) }),
    ...base,
    ...envoyPolicyFields(
      policy,
      portProtocol(port) === 'http2',
      remedy,
      forcesUnhealthy(service),
      autoSniOptions(policy.tls, view.proxyType),
    ),
    metadata: istioClusterMetadata(service, rule, subset?.name, policy.tls?.mode),
    // Istio's ORIGINAL_DST clusters balance by the original destination, whatever the DestinationRule says.
    ...(discovery === 'ORIGINAL_DST' ? { lb_policy: 'CLUSTER_PROVIDED' as const } : {}),
    // Istio's auto mTLS never applies to a MESH_EXTERNAL ServiceEntry host nor to one of resolution NONE
    // (passthrough): plaintext unless a DestinationRule sets TLS.
    ...((service.serviceEntry?.location === 'MESH_EXTERNAL' || service.serviceEntry?.resolution === 'NONE') &&
    policy.tls === undefined
      ? {}
      : envoyTransport(
          policy.tls,
          sniName(port.port, subsetName, service.hostname),
          sans,
          portProtocol(port) === 'http2',
        )),
  });
}

/** Proxyless gRPC: EDS, ROUND_ROBIN or RING_HASH, max_requests, outlier detection, and TLS only when a DestinationRule asks for it. */
function grpcOutboundCluster(
  snapshot: MeshSnapshot,
  view: ProxyView,
  { service, port, subset, rule }: ClusterTarget,
): XdsResource | undefined {
  const name = outboundClusterName(port.port, subset?.name ?? '', service.hostname);
  const policy = effectivePolicy(rule, port.port, subset);
  const remedy = gatewayEjectionRemedy(snapshot, view, service, policy);
  const tls = policy.tls && policy.tls.mode !== 'DISABLE';
  const sans =
    policy.tls?.subjectAltNames ??
    serviceSpiffeUris(
      snapshot.trustDomain,
      snapshot.meshConfig?.trustDomainAliases,
      service.namespace,
      service.serviceAccounts,
    );
  return clusterResource(name, {
    ...edsCluster(name, meshConnectTimeoutMs(snapshot)),
    ...grpcPolicyFields(policy, remedy, snapshot.optIn?.grpcOutlierDetection === true),
    ...(tls ? { transport_socket: grpcUpstreamTls(sans) } : {}),
  });
}

/** A DNS cluster's endpoints by cluster name, sent inline (load_assignment) instead of over EDS. */
type InlineEndpoints = (cluster: string) => ClusterLoadAssignment | undefined;

const NO_INLINE: InlineEndpoints = () => undefined;
const NO_GATEWAYS: MeshSnapshot['gateways'] = new Map();

/** Istio builds a DNS cluster's load_assignment as EDS would (FromServiceEndpoints): the same endpoints, inline. */
function inlineEndpoints(snapshot: MeshSnapshot, view: ProxyView, service: MeshService): InlineEndpoints {
  const discovery = discoveryOf(service, view);
  if (discovery !== 'STRICT_DNS' && discovery !== 'LOGICAL_DNS') return NO_INLINE;
  // As Istio's CDS endpoint builder: every endpoint as it is, none replaced by its network's gateway.
  const byName = new Map(
    serviceClusters({ ...snapshot, gateways: NO_GATEWAYS }, view, service).map(({ cluster, sent }) => [
      cluster,
      clusterLoadAssignment(cluster, sent).object as ClusterLoadAssignment,
    ]),
  );
  return (cluster) => byName.get(cluster);
}

/**
 * One outbound cluster per service port, plus `outbound|<port>|<subset>|<fqdn>` per subset of the
 * service's DestinationRule, each with the rule's policy for that port and subset. Pure.
 */
export function buildOutboundClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const out: XdsResource[] = [];
  const build = view.generator === 'grpc' ? grpcOutboundCluster : envoyOutboundCluster;
  const push = (resource: XdsResource | undefined) => {
    if (resource !== undefined) out.push(resource);
  };
  for (const service of snapshot.services.values()) {
    const rule = destinationRuleFor(snapshot.istioConfig, service, view.namespace, snapshot.domainSuffix);
    const inline = inlineEndpoints(snapshot, view, service);
    for (const port of service.ports) {
      push(build(snapshot, view, { service, port, ...(rule ? { rule } : {}) }, inline));
      for (const subset of subsetsOf(rule))
        push(build(snapshot, view, { service, port, subset, ...(rule ? { rule } : {}) }, inline));
    }
  }
  return out;
}

/**
 * CDS. gRPC: outbound clusters. Sidecars: outbound, `inbound|<port>||` for the workload's own
 * ports, BlackHoleCluster, PassthroughCluster, InboundPassthroughCluster. Routers: outbound and
 * BlackHoleCluster, plus the `outbound_.<port>_.<subset>_.<fqdn>` clusters when the router passes
 * mTLS through by SNI (an AUTO_PASSTHROUGH Gateway, or ROUTER_MODE sni-dnat without a Gateway). Pure.
 */
export function buildClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return [...buildSharedClusters(snapshot, view), ...buildWorkloadClusters(snapshot, view)];
}

/** The clusters every pod of a view shares (all but the inbound ones). Pure. */
export function buildSharedClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const outbound = buildOutboundClusters(snapshot, view);
  if (view.generator === 'grpc') return outbound;
  if (view.proxyType === 'router') {
    return [
      ...outbound,
      ...(passesThroughBySni(snapshot, view) ? sniDnatClusters(snapshot, view) : []),
      blackHoleCluster(meshConnectTimeoutMs(snapshot)),
    ];
  }
  const timeout = meshConnectTimeoutMs(snapshot);
  return [
    ...outbound,
    blackHoleCluster(timeout),
    passthroughCluster(timeout),
    inboundPassthroughCluster(view, timeout),
  ];
}

/**
 * An sni-dnat router's `outbound_.<port>_.<subset>_.<fqdn>` clusters; those of a DNS ServiceEntry host are DNS
 * clusters too, as Istio's, with the outbound cluster's endpoints inline, only those reached with Istio mTLS
 * (Istio's EndpointsWithMTLSFilter: a locality group may be left empty).
 */
function sniDnatClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const clusters = buildSniDnatClusters(snapshot, view.namespace);
  const dns = new Map<string, { service: MeshService; outbound: string }>();
  for (const { service, port, subset } of sniDnatTargets(snapshot, view.namespace)) {
    const discovery = discoveryOf(service, view);
    if (discovery === 'STRICT_DNS' || discovery === 'LOGICAL_DNS')
      dns.set(sniName(port.port, subset, service.hostname), {
        service,
        outbound: outboundClusterName(port.port, subset, service.hostname),
      });
  }
  if (dns.size === 0) return clusters;
  const inline = new Map<MeshService, InlineEndpoints>();
  return clusters.flatMap((resource) => {
    const target = dns.get(resource.name);
    if (target === undefined) return [resource];
    let endpoints = inline.get(target.service);
    if (endpoints === undefined)
      inline.set(target.service, (endpoints = inlineEndpoints(snapshot, view, target.service)));
    const outbound = endpoints(target.outbound);
    const fields = nonEdsFields(
      discoveryOf(target.service, view) as 'STRICT_DNS' | 'LOGICAL_DNS',
      view,
      outbound && mtlsOnly(resource.name, outbound),
    );
    if (fields === undefined) return [];
    const { eds_cluster_config: _eds, ...rest } = resource.object as Cluster;
    return [clusterResource(resource.name, { ...rest, ...fields })];
  });
}

function mtlsOnly(name: string, assignment: ClusterLoadAssignment): ClusterLoadAssignment {
  return {
    cluster_name: name,
    endpoints: (assignment.endpoints ?? []).map(({ lb_endpoints, load_balancing_weight: _w, ...group }) => {
      const kept = (lb_endpoints ?? []).filter(
        (e) => e.metadata?.filter_metadata?.['envoy.transport_socket_match'] !== undefined,
      );
      const weight = kept.reduce((sum, e) => sum + (e.load_balancing_weight?.value ?? 1), 0);
      return {
        ...group,
        ...(kept.length > 0 ? { lb_endpoints: kept } : {}),
        ...(weight > 0 ? { load_balancing_weight: { value: weight } } : {}),
      };
    }),
  };
}

/** `inbound|<port>||` for a sidecar's own workload ports. Pure. */
export function buildWorkloadClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return view.generator === 'envoy' && view.proxyType === 'sidecar' ? buildInboundClusters(snapshot, view) : [];
}
