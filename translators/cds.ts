import { CLUSTER_TYPE } from '../protos/type-urls.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshService, MeshSnapshot, ServicePort } from '../model/types.ts';
import { DEFAULT_CIRCUIT_BREAKERS, edsCluster, http2ProtocolOptions, istioServicesMetadata } from './cluster-common.ts';
import { buildInboundClusters } from './inbound-clusters.ts';
import { outboundClusterName, sniName } from './names.ts';
import { portProtocol } from './protocol.ts';
import type { XdsResource } from './resource.ts';
import { buildSniDnatClusters } from './sni-clusters.ts';
import { blackHoleCluster, inboundPassthroughCluster, passthroughCluster } from './special-clusters.ts';
import { structValue } from './struct.ts';
import { istioUpstreamTls, RAW_BUFFER_SOCKET, spiffeUri } from './tls.ts';

function envoyOutboundCluster(snapshot: MeshSnapshot, service: MeshService, port: ServicePort): XdsResource {
  const name = outboundClusterName(port.port, '', service.hostname);
  const sans = service.serviceAccounts.map((sa) => spiffeUri(snapshot.trustDomain, service.namespace, sa));
  const h2 = portProtocol(port) === 'http2' ? http2ProtocolOptions() : undefined;
  return {
    name,
    typeUrl: CLUSTER_TYPE,
    object: {
      ...edsCluster(name),
      lb_policy: 'LEAST_REQUEST',
      circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
      common_lb_config: { locality_weighted_lb_config: {} },
      metadata: istioServicesMetadata([service]),
      ...(h2 ? { typed_extension_protocol_options: h2 } : {}),
      transport_socket_matches: [
        { name: 'tlsMode-istio', match: structValue({ tlsMode: 'istio' }), transport_socket: istioUpstreamTls(sniName(port.port, '', service.hostname), sans) },
        { name: 'tlsMode-disabled', match: structValue({}), transport_socket: RAW_BUFFER_SOCKET },
      ],
    },
  };
}

/** Proxyless gRPC supports neither LEAST_REQUEST nor transport-socket matches: plain round robin. */
function grpcOutboundCluster(service: MeshService, port: number): XdsResource {
  const name = outboundClusterName(port, '', service.hostname);
  return { name, typeUrl: CLUSTER_TYPE, object: { ...edsCluster(name), lb_policy: 'ROUND_ROBIN' } };
}

/** One outbound cluster per service port. Pure. */
export function buildOutboundClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const out: XdsResource[] = [];
  for (const service of snapshot.services.values()) {
    for (const port of service.ports) {
      out.push(view.generator === 'grpc' ? grpcOutboundCluster(service, port.port) : envoyOutboundCluster(snapshot, service, port));
    }
  }
  return out;
}

/**
 * CDS. gRPC: outbound clusters. Sidecars: outbound, `inbound|<port>||` for the workload's own
 * ports, BlackHoleCluster, PassthroughCluster, InboundPassthroughCluster. Routers: outbound and
 * BlackHoleCluster, plus the `outbound_.<port>_.<subset>_.<fqdn>` clusters in sni-dnat mode. Pure.
 */
export function buildClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return [...buildSharedClusters(snapshot, view), ...buildWorkloadClusters(snapshot, view)];
}

/** The clusters every pod of a view shares (all but the inbound ones). Pure. */
export function buildSharedClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const outbound = buildOutboundClusters(snapshot, view);
  if (view.generator === 'grpc') return outbound;
  if (view.proxyType === 'router') {
    return [...outbound, ...(view.routerMode === 'sni-dnat' ? buildSniDnatClusters(snapshot) : []), blackHoleCluster()];
  }
  return [...outbound, blackHoleCluster(), passthroughCluster(), inboundPassthroughCluster()];
}

/** `inbound|<port>||` for a sidecar's own workload ports. Pure. */
export function buildWorkloadClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  return view.generator === 'envoy' && view.proxyType === 'sidecar' ? buildInboundClusters(snapshot, view) : [];
}
