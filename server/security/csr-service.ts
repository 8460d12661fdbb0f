/**
 * Istio's CSR API, istio.v1.auth.IstioCertificateService/CreateCertificate, on the TLS xDS port:
 * the caller authenticates (client certificate or service-account token), sends a PKCS#10 CSR, and
 * gets its chain back, leaf first and root last. The identity in the certificate is always the
 * authenticated one; a CSR that asks for another is refused with PERMISSION_DENIED.
 */
import { status, type Server, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { CertificateAuthority } from './ca.ts';
import { SecurityError, type SecurityErrorCode } from '../../pki/errors.ts';
import { errorMessage } from '../../common/error-message.ts';
import type { PeerAuthenticator } from './peer-authentication.ts';
import {
  CSR_SERVICE,
  type CertificateRequestMessage,
  type CertificateResponseMessage,
} from '../../pki/csr-protocol.ts';

export interface CsrServiceOptions {
  readonly ca: CertificateAuthority;
  readonly authenticator: PeerAuthenticator;
  readonly logger: Logger;
  /** Lifetime of issued certificates when the request names none. */
  readonly defaultTtlMs: number;
}

const INVALID_ARGUMENT_CODES: ReadonlySet<SecurityErrorCode> = new Set([
  'MESHPILOT_ERR_CSR_INVALID',
  'MESHPILOT_ERR_CA_INVALID_REQUEST',
  'MESHPILOT_ERR_SPIFFE_ID_INVALID',
  'MESHPILOT_ERR_PEM_INVALID',
]);

type Outcome = { ok: true; response: CertificateResponseMessage } | { ok: false; code: status; message: string };

export function addCsrService(server: Server, options: CsrServiceOptions): void {
  server.addService(CSR_SERVICE, {
    CreateCertificate: (
      call: ServerUnaryCall<CertificateRequestMessage, CertificateResponseMessage>,
      callback: sendUnaryData<CertificateResponseMessage>,
    ) => {
      createCertificate(call, options).then(
        (outcome) =>
          outcome.ok ? callback(null, outcome.response) : callback({ code: outcome.code, details: outcome.message }),
        (error: unknown) => {
          options.logger.error(
            { code: 'MESHPILOT_ERR_CSR_SIGNING', error: errorMessage(error) },
            'CreateCertificate failed',
          );
          callback({
            code: status.INTERNAL,
            details: 'MESHPILOT_ERR_CSR_SIGNING: the certificate could not be issued',
          });
        },
      );
    },
  });
}

async function createCertificate(
  call: ServerUnaryCall<CertificateRequestMessage, CertificateResponseMessage>,
  options: CsrServiceOptions,
): Promise<Outcome> {
  const peer = call.getPeer();
  const authentication = await options.authenticator.authenticate(call);
  if (!authentication.ok) {
    options.logger.warn(
      { peer, code: 'MESHPILOT_ERR_UNAUTHENTICATED', reason: authentication.message },
      'CreateCertificate refused: caller not authenticated',
    );
    return authentication;
  }
  const identity = authentication.identity;
  const requestedSeconds = call.request.validity_duration ?? 0;
  const ttlMs = requestedSeconds > 0 ? requestedSeconds * 1000 : options.defaultTtlMs;
  try {
    const chain = await options.ca.signCsr({
      csrPem: call.request.csr,
      identity: { namespace: identity.namespace, serviceAccount: identity.serviceAccount },
      ttlMs,
    });
    options.logger.info(
      { peer, identity: identity.spiffeId, method: identity.method, ttlMs },
      'CreateCertificate: certificate issued',
    );
    return { ok: true, response: { cert_chain: chain } };
  } catch (error: unknown) {
    if (!(error instanceof SecurityError)) throw error;
    const code =
      error.code === 'MESHPILOT_ERR_CSR_IDENTITY'
        ? status.PERMISSION_DENIED
        : INVALID_ARGUMENT_CODES.has(error.code)
          ? status.INVALID_ARGUMENT
          : status.INTERNAL;
    options.logger.warn(
      { peer, identity: identity.spiffeId, code: error.code, error: error.message },
      'CreateCertificate refused',
    );
    return { ok: false, code, message: error.message };
  }
}
