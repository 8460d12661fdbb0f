import type { Cluster, TransportSocket } from '../resource.ts';
import type { CertificateValidationContext } from '../../protos/generated/envoy/extensions/transport_sockets/tls/v3/CertificateValidationContext.ts';
import type { CommonTlsContext } from '../../protos/generated/envoy/extensions/transport_sockets/tls/v3/CommonTlsContext.ts';
import type { SubjectAltNameMatcher } from '../../protos/generated/envoy/extensions/transport_sockets/tls/v3/SubjectAltNameMatcher.ts';
import { typedConfig } from '../common/typed-config.ts';
import type { ClientTlsSettings } from '../../model/istio/types.ts';
import type { ProxyType } from '../../model/proxy-view.ts';
import type { UpstreamHttpProtocolOptions } from '../../protos/generated/envoy/config/core/v3/UpstreamHttpProtocolOptions.ts';
import { ADS_CONFIG_SOURCE } from '../resource.ts';
import { structValue } from '../common/struct.ts';
import { istioUpstreamTls, RAW_BUFFER_SOCKET } from '../security/istio-tls.ts';

const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext' as const;
/** Where Debian (and Istio's proxy image) keep the system trust bundle: SIMPLE/MUTUAL without caCertificates. */
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function sanMatchers(sans: readonly string[]): SubjectAltNameMatcher[] {
  return sans.map((san) => ({ san_type: san.startsWith('spiffe://') ? 'URI' : 'DNS', matcher: { exact: san } }));
}

/** SIMPLE / MUTUAL: the user's certificates, from files or (credentialName) from SDS `kubernetes://<name>`, as Istio names them. */
function userTls(tls: ClientTlsSettings): TransportSocket {
  const credential = tls.credentialName;
  const validation: CertificateValidationContext = tls.insecureSkipVerify
    ? {}
    : {
        trusted_ca: { filename: tls.caCertificates ?? SYSTEM_CA_BUNDLE },
        ...(tls.subjectAltNames ? { match_typed_subject_alt_names: sanMatchers(tls.subjectAltNames) } : {}),
      };
  const common: CommonTlsContext = credential
    ? {
        ...(tls.mode === 'MUTUAL'
          ? {
              tls_certificate_sds_secret_configs: [
                { name: `kubernetes://${credential}`, sds_config: ADS_CONFIG_SOURCE },
              ],
            }
          : {}),
        ...(tls.insecureSkipVerify
          ? {}
          : {
              combined_validation_context: {
                default_validation_context: tls.subjectAltNames
                  ? { match_typed_subject_alt_names: sanMatchers(tls.subjectAltNames) }
                  : {},
                validation_context_sds_secret_config: {
                  name: `kubernetes://${credential}-cacert`,
                  sds_config: ADS_CONFIG_SOURCE,
                },
              },
            }),
      }
    : {
        ...(tls.mode === 'MUTUAL' && tls.clientCertificate && tls.privateKey
          ? {
              tls_certificates: [
                { certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } },
              ],
            }
          : {}),
        validation_context: validation,
      };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typedConfig(UPSTREAM_TLS, { common_tls_context: common, ...(tls.sni ? { sni: tls.sni } : {}) }),
  };
}

/**
 * An Envoy outbound cluster's transport: no DestinationRule tls = Istio's auto mTLS (match on the
 * endpoint's tlsMode); ISTIO_MUTUAL = always Istio mTLS; DISABLE = plaintext; SIMPLE / MUTUAL =
 * the user's TLS origination.
 */
export function envoyTransport(
  tls: ClientTlsSettings | undefined,
  sni: string,
  sans: readonly string[],
  http2 = false,
): Cluster {
  if (!tls) {
    return {
      transport_socket_matches: [
        {
          name: 'tlsMode-istio',
          match: structValue({ tlsMode: 'istio' }),
          transport_socket: istioUpstreamTls(sni, sans, http2),
        },
        { name: 'tlsMode-disabled', match: structValue({}), transport_socket: RAW_BUFFER_SOCKET },
      ],
    };
  }
  switch (tls.mode) {
    case 'ISTIO_MUTUAL':
      return { transport_socket: istioUpstreamTls(tls.sni ?? sni, tls.subjectAltNames ?? sans, http2) };
    case 'DISABLE':
      return { transport_socket: RAW_BUFFER_SOCKET };
    default:
      return { transport_socket: userTls(tls) };
  }
}

/**
 * Istio's setAutoSniAndAutoSanValidation for a DestinationRule's SIMPLE / MUTUAL TLS origination: without
 * `sni`, Envoy sends the request's Host as SNI (auto_sni), and then, without `subjectAltNames` and unless
 * insecureSkipVerify, checks the server certificate against it (auto_san_validation). Istio builds no TLS
 * context (so no options) for a sidecar's credentialName outside a workloadSelector rule, which is the only
 * kind of rule meshpilot applies; undefined otherwise.
 */
export function autoSniOptions(
  tls: ClientTlsSettings | undefined,
  proxyType: ProxyType,
): UpstreamHttpProtocolOptions | undefined {
  if (!tls || (tls.mode !== 'SIMPLE' && tls.mode !== 'MUTUAL')) return undefined;
  if (tls.credentialName && !tls.credentialName.startsWith('configmap://') && proxyType === 'sidecar') return undefined;
  const autoSni = !tls.sni;
  const autoSan = autoSni && (tls.subjectAltNames ?? []).length === 0 && tls.insecureSkipVerify !== true;
  if (!autoSni && !autoSan) return undefined;
  return { ...(autoSni ? { auto_sni: true } : {}), ...(autoSan ? { auto_san_validation: true } : {}) };
}
