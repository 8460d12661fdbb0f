import { duration } from '../protos/any.ts';
import { CLUSTER_TYPE } from '../protos/type-urls.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshService, MeshSnapshot } from '../model/types.ts';
import { outboundClusterName, sniName } from './names.ts';
import { ADS_CONFIG_SOURCE, type XdsResource } from './resource.ts';
import { istioUpstreamTls, RAW_BUFFER_SOCKET, spiffeUri } from './tls.ts';

const CONNECT_TIMEOUT_MS = 10_000;
const UNLIMITED = 4_294_967_295;

/** Istio's default circuit breakers: effectively unlimited, with remaining counts tracked. */
const DEFAULT_CIRCUIT_BREAKERS = {
  thresholds: [
    {
      max_connections: { value: UNLIMITED },
      max_pending_requests: { value: UNLIMITED },
      max_requests: { value: UNLIMITED },
      max_retries: { value: UNLIMITED },
      track_remaining: true,
    },
  ],
};

function edsCluster(name: string): Record<string, unknown> {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ...ADS_CONFIG_SOURCE, initial_fetch_timeout: {} }, service_name: name },
    connect_timeout: duration(CONNECT_TIMEOUT_MS),
  };
}

function envoyOutboundCluster(snapshot: MeshSnapshot, service: MeshService, port: number): XdsResource {
  const name = outboundClusterName(port, '', service.hostname);
  const sans = service.serviceAccounts.map((sa) => spiffeUri(snapshot.trustDomain, service.namespace, sa));
  return {
    name,
    typeUrl: CLUSTER_TYPE,
    object: {
      ...edsCluster(name),
      lb_policy: 'LEAST_REQUEST',
      circuit_breakers: DEFAULT_CIRCUIT_BREAKERS,
      common_lb_config: { locality_weighted_lb_config: {} },
      metadata: {
        filter_metadata: {
          istio: { services: [{ host: service.hostname, name: service.name, namespace: service.namespace }] },
        },
      },
      transport_socket_matches: [
        { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: istioUpstreamTls(sniName(port, '', service.hostname), sans) },
        { name: 'tlsMode-disabled', match: {}, transport_socket: RAW_BUFFER_SOCKET },
      ],
    },
  };
}

/** Proxyless gRPC supports neither LEAST_REQUEST nor transport-socket matches: plain round robin. */
function grpcOutboundCluster(service: MeshService, port: number): XdsResource {
  const name = outboundClusterName(port, '', service.hostname);
  return { name, typeUrl: CLUSTER_TYPE, object: { ...edsCluster(name), lb_policy: 'ROUND_ROBIN' } };
}

/** CDS: one outbound cluster per service port. Pure. */
export function buildClusters(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const out: XdsResource[] = [];
  for (const service of snapshot.services.values()) {
    for (const port of service.ports) {
      out.push(view.generator === 'grpc' ? grpcOutboundCluster(service, port.port) : envoyOutboundCluster(snapshot, service, port.port));
    }
  }
  return out;
}
