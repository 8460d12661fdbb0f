/**
 * Who is calling on the TLS xDS port (ADS streams and CreateCertificate): a client certificate that
 * chains to the mesh CA, else a Kubernetes service-account token in `authorization: Bearer <jwt>`
 * checked with TokenReview. Messages name what failed, never the token or any key.
 */
import { status, type Metadata } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import type { AuthenticatedIdentity } from '../xds/authenticated-identity.ts';
import type { CertificateAuthority } from './ca.ts';
import { spiffeId } from '../../pki/spiffe.ts';
import type { TokenReviewer } from './token-review.ts';
import { errorMessage } from '../../common/error-message.ts';

export type PeerAuthentication =
  { ok: true; identity: AuthenticatedIdentity } | { ok: false; code: status; message: string };

/** What a server call exposes about its caller (ServerDuplexStream and ServerUnaryCall both have these). */
export interface CallerCredentials {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
  readonly metadata: Metadata;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function unauthenticated(message: string): PeerAuthentication {
  return { ok: false, code: status.UNAUTHENTICATED, message: `MESHPILOT_ERR_UNAUTHENTICATED: ${message}` };
}

/** The bearer token of the call's `authorization` metadata, if any (first value only). */
export function bearerTokenOf(metadata: Metadata): string | undefined {
  const [value] = metadata.get('authorization');
  if (typeof value !== 'string') return undefined;
  return BEARER.exec(value)?.[1];
}

export class PeerAuthenticator {
  readonly #ca: CertificateAuthority;
  readonly #tokenReviewer: TokenReviewer | undefined;

  constructor(options: { ca: CertificateAuthority; tokenReviewer?: TokenReviewer }) {
    this.#ca = options.ca;
    this.#tokenReviewer = options.tokenReviewer;
  }

  async authenticate(call: CallerCredentials): Promise<PeerAuthentication> {
    const peerCertificate = call.getAuthContext().sslPeerCertificate;
    if (peerCertificate?.raw !== undefined) {
      const verified = await this.#ca.verifyWorkloadChain([new Uint8Array(peerCertificate.raw)]);
      if (!verified.ok) return unauthenticated(`client certificate rejected: ${verified.error}`);
      return {
        ok: true,
        identity: {
          namespace: verified.namespace,
          serviceAccount: verified.serviceAccount,
          spiffeId: verified.spiffeId,
          method: 'client-certificate',
        },
      };
    }
    const token = bearerTokenOf(call.metadata);
    if (token === undefined) {
      return unauthenticated(
        'no client certificate from the mesh CA and no "authorization: Bearer <service-account token>" metadata',
      );
    }
    if (this.#tokenReviewer === undefined) {
      return unauthenticated(
        'a bearer token was sent but token authentication is not configured (security.tokenReviewCluster)',
      );
    }
    const review = await this.#tokenReviewer.review(token);
    if (!review.ok) return unauthenticated(`service-account token rejected: ${review.reason}`);
    try {
      const id = spiffeId(this.#ca.trustDomain, review.namespace, review.serviceAccount);
      return {
        ok: true,
        identity: {
          namespace: review.namespace,
          serviceAccount: review.serviceAccount,
          spiffeId: id,
          method: 'service-account-token',
        },
      };
    } catch (error: unknown) {
      return unauthenticated(`service-account token names an unusable identity: ${errorMessage(error)}`);
    }
  }
}
