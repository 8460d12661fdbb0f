/**
 * Human-readable summaries of certificates for logs and /debug pages. Only public data: never keys.
 */
import { x509 } from './x509-library.ts';
import { SecurityError } from './errors.ts';
import { parseCertificates } from './pem.ts';
import { isCaCertificate, subjectAltNames } from './certificate-profiles.ts';

export interface CertificateDescription {
  subject: string;
  issuer: string;
  serialNumber: string;
  /** e.g. "URI:spiffe://cluster.local/ns/default/sa/helloworld", "DNS:istiod.istio-system.svc", "IP:127.0.0.1" */
  subjectAltNames: string[];
  notBefore: string;
  notAfter: string;
  isCa: boolean;
}

const SAN_PREFIXES: Record<string, string> = { url: 'URI', dns: 'DNS', ip: 'IP', email: 'email', dn: 'DirName' };

export function describeX509(certificate: x509.X509Certificate): CertificateDescription {
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    subjectAltNames: subjectAltNames(certificate).map(
      (name) => `${SAN_PREFIXES[name.type] ?? name.type}:${name.value}`,
    ),
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    isCa: isCaCertificate(certificate),
  };
}

/** Describes the first certificate of a PEM text. Throws MESHPILOT_ERR_PEM_INVALID (naming a key block's type, not its content). */
export function describeCertificate(pem: string): CertificateDescription {
  const [first] = describeCertificateChain(pem);
  if (first === undefined) throw new SecurityError('MESHPILOT_ERR_PEM_INVALID', 'no certificate found');
  return first;
}

export function describeCertificateChain(pem: string): CertificateDescription[] {
  const parsed = parseCertificates(pem);
  if (!parsed.ok) throw new SecurityError('MESHPILOT_ERR_PEM_INVALID', parsed.reason);
  return parsed.value.map(describeX509);
}
