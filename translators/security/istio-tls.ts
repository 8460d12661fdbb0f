import { typedConfig } from '../common/typed-config.ts';
import { ADS_CONFIG_SOURCE, type TransportSocket } from '../resource.ts';

export const ISTIO_MTLS_ALPN = ['istio-peer-exchange', 'istio'] as const;
/** Istio's ALPN for an HTTP/2 in-mesh cluster (gRPC, HTTP/2 ports): it advertises h2 too (ALPNInMeshH2WithMxc). */
export const ISTIO_MTLS_ALPN_H2 = ['istio-peer-exchange', 'istio', 'h2'] as const;
/** The ALPNs an Istio client offers on mTLS connections, as servers and gateways match them (seed order). */
export const ISTIO_ALPN_MATCH = [
  'istio',
  'istio-peer-exchange',
  'istio-http/1.0',
  'istio-http/1.1',
  'istio-h2',
] as const;
export const DEFAULT_SECRET = 'default';
export const ROOTCA_SECRET = 'ROOTCA';
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext' as const;
const DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext' as const;

export function spiffeUri(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/**
 * The SPIFFE identities a client accepts from a service's endpoints: one per service account, and, with
 * meshpilot.yaml `mesh.trustDomainAliases`, the same identity in each alias trust domain, sorted (Istio's
 * spiffe.ExpandWithTrustDomains on the service's accounts). Pure.
 */
export function serviceSpiffeUris(
  trustDomain: string,
  trustDomainAliases: readonly string[] | undefined,
  namespace: string,
  serviceAccounts: readonly string[],
): string[] {
  const own = serviceAccounts.map((sa) => spiffeUri(trustDomain, namespace, sa));
  if (trustDomainAliases === undefined || trustDomainAliases.length === 0) return own;
  const expanded = new Set(own);
  for (const sa of serviceAccounts)
    for (const alias of trustDomainAliases) expanded.add(spiffeUri(alias, namespace, sa));
  return [...expanded].sort();
}

/** Istio's client-side mTLS for Envoy: SDS secrets `default` / `ROOTCA` over ADS, SNI, SAN match, h2 ALPN for HTTP/2. */
export function istioUpstreamTls(sni: string, subjectAltNames: readonly string[], http2 = false): TransportSocket {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typedConfig(UPSTREAM_TLS, {
      common_tls_context: {
        tls_certificate_sds_secret_configs: [{ name: DEFAULT_SECRET, sds_config: ADS_CONFIG_SOURCE }],
        combined_validation_context: {
          default_validation_context: {
            match_typed_subject_alt_names: subjectAltNames.map((san) => ({ san_type: 'URI', matcher: { exact: san } })),
          },
          validation_context_sds_secret_config: { name: ROOTCA_SECRET, sds_config: ADS_CONFIG_SOURCE },
        },
        alpn_protocols: [...(http2 ? ISTIO_MTLS_ALPN_H2 : ISTIO_MTLS_ALPN)],
      },
      sni,
    }),
  };
}

export const RAW_BUFFER_SOCKET: TransportSocket = {
  name: 'envoy.transport_sockets.raw_buffer',
  typed_config: typedConfig('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer', {}),
};

/**
 * Istio's server-side mTLS for a sidecar's inbound chains: SDS `default` / `ROOTCA`, client
 * certificate required (any workload of the trust bundle; authorization is a separate concern).
 */
export function istioDownstreamTls(alpnProtocols: readonly string[]): TransportSocket {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typedConfig(DOWNSTREAM_TLS, {
      common_tls_context: {
        tls_certificate_sds_secret_configs: [{ name: DEFAULT_SECRET, sds_config: ADS_CONFIG_SOURCE }],
        combined_validation_context: {
          default_validation_context: {},
          validation_context_sds_secret_config: { name: ROOTCA_SECRET, sds_config: ADS_CONFIG_SOURCE },
        },
        alpn_protocols: [...alpnProtocols],
      },
      require_client_certificate: { value: true },
    }),
  };
}
