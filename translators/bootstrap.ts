/**
 * The Envoy bootstrap (envoy.config.bootstrap.v3.Bootstrap) of a meshpilot sidecar or east-west
 * gateway, shaped like the one istio-agent writes: Istio node identity and metadata, everything
 * else over ADS from the static cluster `xds-grpc` (HTTP/2, plaintext to 15010 or TLS to 15012),
 * SDS secrets `default` / `ROOTCA` over the same ADS stream (they come with the dynamic clusters),
 * and the admin interface on 127.0.0.1:15000. Pure: the caller reads files and tokens.
 */
import { isIP } from 'node:net';
import type { Bootstrap } from '../protos/generated/envoy/config/bootstrap/v3/Bootstrap.ts';
import type { Node } from '../protos/generated/envoy/config/core/v3/Node.ts';
import type { GrpcService } from '../protos/generated/envoy/config/core/v3/GrpcService.ts';
import type { Address } from '../protos/generated/envoy/config/core/v3/Address.ts';
import { duration, type ProtoObject } from '../protos/any.ts';
import { ADS_CONFIG_SOURCE, type Cluster, type TransportSocket } from './resource.ts';
import { typedConfig } from './common/typed-config.ts';
import { structValue, type JsonValue } from './common/struct.ts';

export const BOOTSTRAP_TYPE = 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap' as const;
export const XDS_ENVOY_CLUSTER = 'xds-grpc';
export const DEFAULT_ADMIN_ADDRESS = { host: '127.0.0.1', port: 15000 } as const;
/** Written as ISTIO_VERSION: the Istio release whose proxy behaviour meshpilot's output follows. */
export const DEFAULT_ISTIO_VERSION = '1.24.0';

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions' as const;
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext' as const;
const XDS_CONNECT_TIMEOUT_MS = 1_000;

export type ProxyType = 'sidecar' | 'router';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface BootstrapLocality {
  readonly region?: string;
  readonly zone?: string;
  readonly subZone?: string;
}

export interface EnvoyBootstrapInput {
  readonly proxyType: ProxyType;
  /** node.id; default `<type>~<podIp>~<podName>.<namespace>~<namespace>.svc.<domainSuffix>`. */
  readonly nodeId?: string;
  readonly podIp: string;
  readonly podName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** CLUSTER_ID: the kube cluster of the pod. */
  readonly kubeCluster: string;
  readonly network?: string;
  readonly locality?: BootstrapLocality;
  readonly labels?: Readonly<Record<string, string>>;
  /** node.cluster is `<app>.<namespace>`; app defaults to the `app` label, else the pod name. */
  readonly app?: string;
  readonly domainSuffix?: string;
  readonly istioVersion?: string;
  /** REQUESTED_NETWORK_VIEW: networks a gateway may see. */
  readonly requestedNetworkView?: readonly string[];
  readonly xds: {
    readonly address: HostPort;
    /** TLS to the control plane (15012), trusting the root certificate file at this path (as Envoy sees it). */
    readonly tls?: { readonly rootCertFile: string; readonly serverName?: string };
    /** Sent as `authorization: Bearer <token>` on the ADS stream (meshpilot's 15012 checks it by TokenReview). */
    readonly bearerToken?: string;
  };
  readonly admin?: HostPort;
}

export function istioProxyNodeId(
  input: Pick<EnvoyBootstrapInput, 'proxyType' | 'podIp' | 'podName' | 'namespace' | 'domainSuffix'>,
): string {
  const suffix = input.domainSuffix ?? 'cluster.local';
  return `${input.proxyType}~${input.podIp}~${input.podName}.${input.namespace}~${input.namespace}.svc.${suffix}`;
}

function socketAddress(address: HostPort): Address {
  return { socket_address: { address: address.host, port_value: address.port } };
}

function nodeMetadata(input: EnvoyBootstrapInput): { [key: string]: JsonValue } {
  return {
    CLUSTER_ID: input.kubeCluster,
    NAMESPACE: input.namespace,
    SERVICE_ACCOUNT: input.serviceAccount,
    ISTIO_VERSION: input.istioVersion ?? DEFAULT_ISTIO_VERSION,
    GENERATOR: 'envoy',
    LABELS: { ...input.labels },
    INSTANCE_IPS: input.podIp,
    POD_NAME: input.podName,
    ...(input.network !== undefined && input.network !== '' ? { NETWORK: input.network } : {}),
    ...(input.proxyType === 'router' ? { ROUTER_MODE: 'sni-dnat' } : {}),
    ...(input.requestedNetworkView !== undefined && input.requestedNetworkView.length > 0
      ? { REQUESTED_NETWORK_VIEW: input.requestedNetworkView.join(',') }
      : {}),
  };
}

function node(input: EnvoyBootstrapInput): Node {
  const app = input.app ?? input.labels?.['app'] ?? input.podName;
  const locality = input.locality ?? {};
  return {
    id: input.nodeId ?? istioProxyNodeId(input),
    cluster: `${app}.${input.namespace}`,
    metadata: structValue(nodeMetadata(input)),
    locality: {
      ...(locality.region ? { region: locality.region } : {}),
      ...(locality.zone ? { zone: locality.zone } : {}),
      ...(locality.subZone ? { sub_zone: locality.subZone } : {}),
    },
  };
}

function xdsTransportSocket(
  tls: { readonly rootCertFile: string; readonly serverName?: string },
  host: string,
): TransportSocket {
  const sni = tls.serverName ?? (isIP(host) === 0 ? host : undefined);
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typedConfig(UPSTREAM_TLS, {
      common_tls_context: {
        validation_context: { trusted_ca: { filename: tls.rootCertFile } },
        alpn_protocols: ['h2'],
      },
      ...(sni !== undefined ? { sni } : {}),
    }),
  };
}

function xdsCluster(input: EnvoyBootstrapInput): Cluster {
  const { address, tls } = input.xds;
  return {
    name: XDS_ENVOY_CLUSTER,
    // An IP needs no resolution; a name (a compose service, a kube Service) is re-resolved.
    type: isIP(address.host) === 0 ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: duration(XDS_CONNECT_TIMEOUT_MS),
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: XDS_ENVOY_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(address) } }] }],
    },
    typed_extension_protocol_options: {
      [HTTP_PROTOCOL_OPTIONS]: typedConfig(HTTP_PROTOCOL_OPTIONS, {
        explicit_http_config: { http2_protocol_options: {} },
      }),
    },
    upstream_connection_options: { tcp_keepalive: { keepalive_time: { value: 300 } } },
    circuit_breakers: {
      thresholds: [
        {
          priority: 'DEFAULT',
          max_connections: { value: 100_000 },
          max_pending_requests: { value: 100_000 },
          max_requests: { value: 100_000 },
        },
        {
          priority: 'HIGH',
          max_connections: { value: 100_000 },
          max_pending_requests: { value: 100_000 },
          max_requests: { value: 100_000 },
        },
      ],
    },
    ...(tls !== undefined ? { transport_socket: xdsTransportSocket(tls, address.host) } : {}),
  };
}

function adsGrpcService(input: EnvoyBootstrapInput): GrpcService {
  return {
    envoy_grpc: { cluster_name: XDS_ENVOY_CLUSTER },
    ...(input.xds.bearerToken !== undefined
      ? { initial_metadata: [{ key: 'authorization', value: `Bearer ${input.xds.bearerToken}` }] }
      : {}),
  };
}

/** The bootstrap in proto field naming, typed from bootstrap.proto (encode with bootstrapObject). */
export function buildEnvoyBootstrap(input: EnvoyBootstrapInput): Bootstrap {
  const dynamicSource = { ...ADS_CONFIG_SOURCE, initial_fetch_timeout: duration(0) };
  return {
    node: node(input),
    dynamic_resources: {
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [adsGrpcService(input)],
        set_node_on_first_message_only: true,
      },
      cds_config: dynamicSource,
      lds_config: dynamicSource,
    },
    static_resources: { clusters: [xdsCluster(input)] },
    admin: { address: socketAddress(input.admin ?? DEFAULT_ADMIN_ADDRESS) },
  };
}

/** The bootstrap as encodeMessage's input form. */
export function bootstrapObject(bootstrap: Bootstrap): ProtoObject {
  return bootstrap as ProtoObject;
}
