import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshService, MeshSnapshot, ServicePort } from '../model/types.ts';
import type { Subset } from '../model/istio/types.ts';
import { edsCluster, istioClusterMetadata, meshConnectTimeoutMs } from './common/cluster-common.ts';
import { grpcUpstreamTls } from './grpc/tls.ts';
import { buildInboundClusters } from './sidecar/inbound-clusters.ts';
import { outboundClusterName, sniName } from './common/names.ts';
import { portProtocol } from './common/protocol.ts';
import { clusterResource, type XdsResource } from './resource.ts';
import { buildSniDnatClusters } from './gateway/sni-clusters.ts';
import { passesThroughBySni } from './gateway/selected-gateways.ts';
import { blackHoleCluster, inboundPassthroughCluster, passthroughCluster } from './common/special-clusters.ts';
import { serviceSpiffeUris } from './security/istio-tls.ts';
import { envoyPolicyFields, grpcPolicyFields } from './traffic/cluster-policy.ts';
import { destinationRuleFor, effectivePolicy, subsetsOf, type DestinationRule } from './traffic/destination-rule.ts';
import { autoSniOptions, envoyTransport } from './traffic/envoy-tls.ts';
import { gatewayEjectionRemedy } from './traffic/gateway-ejection.ts';
import { forcesUnhealthy } from './eds.ts';

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
): XdsResource {
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
  return clusterResource(name, {
    ...edsCluster(name, meshConnectTimeoutMs(snapshot)),
    ...envoyPolicyFields(
      policy,
      portProtocol(port) === 'http2',
      remedy,
      forcesUnhealthy(service),
      autoSniOptions(policy.tls, view.proxyType),
    ),
    metadata: istioClusterMetadata(service, rule, subset?.name, policy.tls?.mode),
    // Istio's auto mTLS never applies to a MESH_EXTERNAL ServiceEntry host: plaintext unless a DestinationRule sets TLS.
    ...(service.serviceEntry?.location === 'MESH_EXTERNAL' && policy.tls === undefined
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
): XdsResource {
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

/**
 * One outbound cluster per service port, plus `outbound|<port>|<subset>|<fqdn>` per subset of the
 * service's DestinationRule, each with the rule's policy for that port and subset. Pure.
 */
export function buildOutboundClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const out: XdsResource[] = [];
  const build = view.generator === 'grpc' ? grpcOutboundCluster : envoyOutboundCluster;
  for (const service of snapshot.services.values()) {
    const rule = destinationRuleFor(snapshot.istioConfig, service, view.namespace, snapshot.domainSuffix);
    for (const port of service.ports) {
      out.push(build(snapshot, view, { service, port, ...(rule ? { rule } : {}) }));
      for (const subset of subsetsOf(rule))
        out.push(build(snapshot, view, { service, port, subset, ...(rule ? { rule } : {}) }));
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
      ...(passesThroughBySni(snapshot, view) ? buildSniDnatClusters(snapshot, view.namespace) : []),
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

/** `inbound|<port>||` for a sidecar's own workload ports. Pure. */
export function buildWorkloadClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return view.generator === 'envoy' && view.proxyType === 'sidecar' ? buildInboundClusters(snapshot, view) : [];
}
