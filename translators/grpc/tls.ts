import { typedConfig } from '../common/typed-config.ts';
import type { TransportSocket } from '../resource.ts';

/**
 * TLS for proxyless gRPC (gRFC A29): certificates come from the bootstrap's certificate provider
 * instances, not SDS. `meshpilot agent` writes one instance, `default` (file_watcher over
 * cert-chain.pem / key.pem / root-cert.pem); as Istio's grpcgen, the identity is certificate
 * `default` of it and the trust bundle certificate `ROOTCA`.
 */
export const GRPC_CERTIFICATE_PROVIDER_INSTANCE = 'default';
export const GRPC_IDENTITY_CERTIFICATE = {
  instance_name: GRPC_CERTIFICATE_PROVIDER_INSTANCE,
  certificate_name: 'default',
} as const;
export const GRPC_ROOT_CERTIFICATE = {
  instance_name: GRPC_CERTIFICATE_PROVIDER_INSTANCE,
  certificate_name: 'ROOTCA',
} as const;

const DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext' as const;

/**
 * A gRPC server's mTLS (PeerAuthentication STRICT): its workload certificate, the mesh root to
 * verify clients, and a client certificate required. Authorization is the RBAC filter's job.
 */
export function grpcDownstreamTls(): TransportSocket {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typedConfig(DOWNSTREAM_TLS, {
      common_tls_context: {
        tls_certificate_provider_instance: { ...GRPC_IDENTITY_CERTIFICATE },
        // Not combined_validation_context: validate.rules require its SDS half, which gRPC rejects.
        validation_context: { ca_certificate_provider_instance: { ...GRPC_ROOT_CERTIFICATE } },
      },
      require_client_certificate: { value: true },
    }),
  };
}

const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext' as const;

/**
 * A proxyless gRPC client's Istio mTLS to a service (DestinationRule ISTIO_MUTUAL): its workload
 * certificate, the mesh root, and the server accepted only if a SAN equals one of
 * `subjectAltNames` (the service's SPIFFE ids; empty = any certificate of the mesh CA). grpc-js-xds
 * reads `match_subject_alt_names` (not the typed variant) and ignores SNI.
 */
export function grpcUpstreamTls(subjectAltNames: readonly string[]): TransportSocket {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typedConfig(UPSTREAM_TLS, {
      common_tls_context: {
        tls_certificate_provider_instance: { ...GRPC_IDENTITY_CERTIFICATE },
        validation_context: {
          ca_certificate_provider_instance: { ...GRPC_ROOT_CERTIFICATE },
          match_subject_alt_names: subjectAltNames.map((san) => ({ exact: san })),
        },
      },
    }),
  };
}
