/**
 * Authenticates a peer by its certificate chain: the leaf must chain (through presented or known
 * intermediates) to one of our trust roots, every certificate on that path must be valid now, and the
 * leaf must carry exactly one SPIFFE id in our trust domain.
 */
import { x509 } from './x509-library.ts';
import { parseCertificates } from './pem.ts';
import { isCaCertificate, isIssuedBy, subjectAltNames } from './certificate-profiles.ts';
import { parseSpiffeId, type SpiffeIdentity } from './spiffe.ts';
import { errorMessage } from '../common/error-message.ts';

export type PeerChainErrorCode =
  | 'MESHPILOT_ERR_PEER_CHAIN_INVALID'
  | 'MESHPILOT_ERR_PEER_UNKNOWN_ISSUER'
  | 'MESHPILOT_ERR_PEER_CERT_EXPIRED'
  | 'MESHPILOT_ERR_PEER_CERT_NOT_YET_VALID'
  | 'MESHPILOT_ERR_PEER_NO_SPIFFE_ID'
  | 'MESHPILOT_ERR_PEER_TRUST_DOMAIN';

export type ChainVerification =
  ({ ok: true; spiffeId: string } & SpiffeIdentity) | { ok: false; code: PeerChainErrorCode; error: string };

/** A PEM text (leaf first), or one entry per certificate: PEM text or DER bytes (e.g. from a TLS socket). */
export type PresentedChain = string | ReadonlyArray<string | Uint8Array>;

export interface TrustAnchors {
  trustDomain: string;
  roots: readonly x509.X509Certificate[];
  /** Intermediates we know (our own CA chain), used when the peer does not send them. */
  intermediates: readonly x509.X509Certificate[];
}

const MAX_PATH_LENGTH = 8;

export async function verifyPresentedChain(
  presented: PresentedChain,
  trust: TrustAnchors,
  now: Date,
): Promise<ChainVerification> {
  const fail = (code: PeerChainErrorCode, error: string): ChainVerification => ({
    ok: false,
    code,
    error: `${code}: ${error}`,
  });
  const parsed = parsePresentedChain(presented);
  if (!parsed.ok) return fail('MESHPILOT_ERR_PEER_CHAIN_INVALID', parsed.reason);
  const [leaf, ...presentedIntermediates] = parsed.certificates;
  if (leaf === undefined) return fail('MESHPILOT_ERR_PEER_CHAIN_INVALID', 'the chain is empty');
  if (isCaCertificate(leaf))
    return fail(
      'MESHPILOT_ERR_PEER_CHAIN_INVALID',
      `leaf certificate "${leaf.subject}" is a CA certificate, not a workload certificate`,
    );

  const path = await buildPathToRoot(leaf, [...presentedIntermediates, ...trust.intermediates], trust.roots);
  if (!path.ok) return fail('MESHPILOT_ERR_PEER_UNKNOWN_ISSUER', path.reason);

  for (const [index, certificate] of path.certificates.entries()) {
    const which = index === 0 ? 'leaf certificate' : `issuing certificate "${certificate.subject}"`;
    if (now.getTime() > certificate.notAfter.getTime()) {
      return fail(
        'MESHPILOT_ERR_PEER_CERT_EXPIRED',
        `${which} expired at ${certificate.notAfter.toISOString()} (now ${now.toISOString()})`,
      );
    }
    if (now.getTime() < certificate.notBefore.getTime()) {
      return fail(
        'MESHPILOT_ERR_PEER_CERT_NOT_YET_VALID',
        `${which} is not valid before ${certificate.notBefore.toISOString()} (now ${now.toISOString()})`,
      );
    }
  }

  const uris = subjectAltNames(leaf)
    .filter((name) => name.type === 'url')
    .map((name) => name.value);
  const spiffeUris = uris.filter((uri) => uri.startsWith('spiffe://'));
  if (spiffeUris.length !== 1) {
    return fail(
      'MESHPILOT_ERR_PEER_NO_SPIFFE_ID',
      `leaf certificate must carry exactly one spiffe:// URI SAN, found ${spiffeUris.length} (URI SANs: ${uris.join(', ') || 'none'})`,
    );
  }
  const identity = parseSpiffeId(spiffeUris[0] ?? '');
  if (!identity.ok) return fail('MESHPILOT_ERR_PEER_NO_SPIFFE_ID', identity.error);
  if (identity.trustDomain !== trust.trustDomain) {
    return fail(
      'MESHPILOT_ERR_PEER_TRUST_DOMAIN',
      `peer identity ${spiffeUris[0] ?? ''} is in trust domain "${identity.trustDomain}", not "${trust.trustDomain}"`,
    );
  }
  return {
    ok: true,
    spiffeId: spiffeUris[0] ?? '',
    trustDomain: identity.trustDomain,
    namespace: identity.namespace,
    serviceAccount: identity.serviceAccount,
  };
}

function parsePresentedChain(
  presented: PresentedChain,
): { ok: true; certificates: x509.X509Certificate[] } | { ok: false; reason: string } {
  if (typeof presented === 'string') {
    const parsed = parseCertificates(presented);
    return parsed.ok ? { ok: true, certificates: parsed.value } : { ok: false, reason: parsed.reason };
  }
  const certificates: x509.X509Certificate[] = [];
  for (const [index, entry] of presented.entries()) {
    if (typeof entry === 'string') {
      const parsed = parseCertificates(entry);
      if (!parsed.ok) return { ok: false, reason: `chain entry ${index + 1}: ${parsed.reason}` };
      certificates.push(...parsed.value);
      continue;
    }
    try {
      certificates.push(new x509.X509Certificate(new Uint8Array(entry)));
    } catch (error: unknown) {
      return { ok: false, reason: `chain entry ${index + 1} is not valid DER X.509 (${errorMessage(error)})` };
    }
  }
  return { ok: true, certificates };
}

async function buildPathToRoot(
  leaf: x509.X509Certificate,
  intermediates: readonly x509.X509Certificate[],
  roots: readonly x509.X509Certificate[],
): Promise<{ ok: true; certificates: x509.X509Certificate[] } | { ok: false; reason: string }> {
  const path = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_PATH_LENGTH; depth += 1) {
    for (const root of roots) {
      if (await isIssuedBy(current, root)) return { ok: true, certificates: [...path, root] };
    }
    let issuer: x509.X509Certificate | undefined;
    for (const candidate of intermediates) {
      if (!path.includes(candidate) && isCaCertificate(candidate) && (await isIssuedBy(current, candidate))) {
        issuer = candidate;
        break;
      }
    }
    if (issuer === undefined) {
      const whose = current === leaf ? 'leaf certificate' : `certificate "${current.subject}"`;
      return {
        ok: false,
        reason: `${whose} was issued by "${current.issuer}", which does not lead to a trust root of this mesh`,
      };
    }
    path.push(issuer);
    current = issuer;
  }
  return { ok: false, reason: `no path to a trust root within ${MAX_PATH_LENGTH} certificates` };
}
