/**
 * The shapes of the certificates this CA makes: its self-signed root and the leaves it signs.
 * Leaves follow Istio's workload certificates: empty subject, identity only in a critical SAN.
 */
import { randomBytes } from 'node:crypto';
import { x509 } from './x509-library.ts';
import { WORKLOAD_SIGNING_ALGORITHM, type SigningKey } from './keys.ts';

export interface CaSigner {
  certificate: x509.X509Certificate;
  key: SigningKey;
}

export interface LeafProfile {
  publicKey: x509.PublicKeyType;
  subjectAltNames: x509.JsonGeneralNames;
  extendedKeyUsages: string[];
  notBefore: Date;
  notAfter: Date;
}

export const ROOT_COMMON_NAME = 'meshpilot root CA';
const SERIAL_NUMBER_BYTES = 16;

/** A positive 128-bit random serial (RFC 5280: at most 20 octets, unpredictable). */
export function randomSerialNumber(): string {
  const bytes = randomBytes(SERIAL_NUMBER_BYTES);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

export async function createSelfSignedRoot(options: {
  trustDomain: string;
  keys: CryptoKeyPair;
  notBefore: Date;
  notAfter: Date;
}): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ O: [options.trustDomain] }, { CN: [ROOT_COMMON_NAME] }],
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keys: options.keys,
    signingAlgorithm: WORKLOAD_SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(options.keys.publicKey),
    ],
  });
}

export async function signLeafCertificate(signer: CaSigner, profile: LeafProfile): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: '',
    issuer: signer.certificate.subjectName,
    notBefore: profile.notBefore,
    notAfter: profile.notAfter,
    publicKey: profile.publicKey,
    signingKey: signer.key.privateKey,
    signingAlgorithm: signer.key.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(profile.extendedKeyUsages, false),
      await authorityKeyIdentifier(signer.certificate),
      // RFC 5280 4.2.1.6: with an empty subject the SAN extension must be critical.
      new x509.SubjectAlternativeNameExtension(profile.subjectAltNames, true),
    ],
  });
}

/** Reuses the issuer's own SKI when it has one, so the AKI matches however the issuer computed it. */
async function authorityKeyIdentifier(issuer: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const subjectKeyId = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (subjectKeyId !== null) return new x509.AuthorityKeyIdentifierExtension(subjectKeyId.keyId, false);
  return x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false);
}

export function isCaCertificate(certificate: x509.X509Certificate): boolean {
  const basicConstraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (basicConstraints === null || !basicConstraints.ca) return false;
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  return keyUsage === null || (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) !== 0;
}

/** Whether `issuer` signed `certificate`: names match and the signature verifies with the issuer's key. */
export async function isIssuedBy(certificate: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  if (certificate.issuer !== issuer.subject) return false;
  try {
    return await certificate.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

export function subjectAltNames(certificate: x509.X509Certificate): x509.GeneralName[] {
  const extension = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  return extension === null ? [] : [...extension.names.items];
}
