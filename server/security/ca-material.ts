/**
 * Turns the four CA file texts into a validated signer, chain and trust bundle. Each error names the
 * file at fault and why: unreadable, not a CA, key not matching, chain not reaching the root, expired.
 */
import { x509 } from '../../pki/x509-library.ts';
import { SecurityError } from '../../pki/errors.ts';
import { caFilePath, type CaFileRole, type CaFileTexts } from './ca-files.ts';
import { parseCertificates, sameCertificate } from '../../pki/pem.ts';
import { importSigningKeyPem, publicKeyFromSpki } from '../../pki/keys.ts';
import { isCaCertificate, isIssuedBy, type CaSigner } from '../../pki/certificate-profiles.ts';

export interface CaMaterial {
  signer: CaSigner;
  /** cert-chain.pem without the trust roots: what follows a leaf in a TLS chain (empty for a self-signed CA). */
  intermediates: x509.X509Certificate[];
  /** root-cert.pem: the trust bundle (several roots while a root is being rotated). */
  roots: x509.X509Certificate[];
  /** ca-cert.pem is itself a root (meshpilot's generated root, or a plugged-in root). */
  selfSigned: boolean;
}

const MAX_CHAIN_LENGTH = 8;

export async function validateCaMaterial(dir: string, texts: CaFileTexts, now: Date): Promise<CaMaterial> {
  const fileName = (role: CaFileRole): string => caFilePath(dir, role);
  const certificatesIn = (role: CaFileRole): x509.X509Certificate[] => {
    const parsed = parseCertificates(texts[role]);
    if (!parsed.ok) throw new SecurityError('MESHPILOT_ERR_CA_FILE_INVALID', `${fileName(role)}: ${parsed.reason}`);
    return parsed.value;
  };

  const caCertificates = certificatesIn('caCert');
  const caCertificate = caCertificates[0];
  if (caCertificate === undefined || caCertificates.length !== 1) {
    throw new SecurityError(
      'MESHPILOT_ERR_CA_FILE_INVALID',
      `${fileName('caCert')} holds ${caCertificates.length} certificates; it must hold only the signing CA certificate (intermediates belong in cert-chain.pem)`,
    );
  }
  requireCa(caCertificate, fileName('caCert'));
  requireCurrentlyValid(caCertificate, fileName('caCert'), now);

  const key = await importSigningKeyPem(texts.caKey);
  if (!key.ok) throw new SecurityError('MESHPILOT_ERR_CA_UNSUPPORTED_KEY', `${fileName('caKey')}: ${key.reason}`);
  if (!key.value.publicKey.equals(publicKeyFromSpki(caCertificate.publicKey.rawData))) {
    throw new SecurityError(
      'MESHPILOT_ERR_CA_KEY_MISMATCH',
      `${fileName('caKey')} does not match the public key of ${fileName('caCert')} (subject "${caCertificate.subject}")`,
    );
  }

  const roots = certificatesIn('rootCert');
  for (const root of roots) requireCa(root, fileName('rootCert'));

  const chain = certificatesIn('certChain');
  const firstInChain = chain[0];
  if (firstInChain === undefined || !sameCertificate(firstInChain, caCertificate)) {
    throw new SecurityError(
      'MESHPILOT_ERR_CA_CHAIN_INVALID',
      `${fileName('certChain')} must start with the certificate of ${fileName('caCert')} (subject "${caCertificate.subject}")`,
    );
  }
  await requireChainReachesRoot(chain, roots, fileName('certChain'), fileName('rootCert'));

  const isRoot = (certificate: x509.X509Certificate): boolean =>
    roots.some((root) => sameCertificate(root, certificate));
  return {
    signer: { certificate: caCertificate, key: key.value },
    intermediates: chain.filter((certificate) => !isRoot(certificate)),
    roots,
    selfSigned: isRoot(caCertificate),
  };
}

function requireCa(certificate: x509.X509Certificate, file: string): void {
  if (!isCaCertificate(certificate)) {
    throw new SecurityError(
      'MESHPILOT_ERR_CA_NOT_A_CA',
      `${file}: certificate "${certificate.subject}" is not a CA certificate (needs basicConstraints CA:TRUE and, if keyUsage is present, keyCertSign)`,
    );
  }
}

function requireCurrentlyValid(certificate: x509.X509Certificate, file: string, now: Date): void {
  if (now.getTime() > certificate.notAfter.getTime()) {
    throw new SecurityError(
      'MESHPILOT_ERR_CA_EXPIRED',
      `${file}: certificate "${certificate.subject}" expired at ${certificate.notAfter.toISOString()}`,
    );
  }
  if (now.getTime() < certificate.notBefore.getTime()) {
    throw new SecurityError(
      'MESHPILOT_ERR_CA_NOT_YET_VALID',
      `${file}: certificate "${certificate.subject}" is not valid before ${certificate.notBefore.toISOString()} (check the clock)`,
    );
  }
}

/** Each chain element must be a root of the bundle, issued by one, or issued by the next element. */
async function requireChainReachesRoot(
  chain: x509.X509Certificate[],
  roots: x509.X509Certificate[],
  chainFile: string,
  rootFile: string,
): Promise<void> {
  if (chain.length > MAX_CHAIN_LENGTH) {
    throw new SecurityError(
      'MESHPILOT_ERR_CA_CHAIN_INVALID',
      `${chainFile} holds ${chain.length} certificates; at most ${MAX_CHAIN_LENGTH} are supported`,
    );
  }
  for (const [index, certificate] of chain.entries()) {
    if (roots.some((root) => sameCertificate(root, certificate))) return;
    for (const root of roots) {
      if (await isIssuedBy(certificate, root)) return;
    }
    const next = chain[index + 1];
    if (next === undefined || !(await isIssuedBy(certificate, next))) {
      throw new SecurityError(
        'MESHPILOT_ERR_CA_CHAIN_INVALID',
        `${chainFile}: certificate ${index + 1} ("${certificate.subject}", issued by "${certificate.issuer}") is signed neither by ` +
          `the next certificate in the chain nor by any root in ${rootFile}`,
      );
    }
    if (!isCaCertificate(next)) {
      throw new SecurityError(
        'MESHPILOT_ERR_CA_NOT_A_CA',
        `${chainFile}: certificate ${index + 2} ("${next.subject}") is not a CA certificate`,
      );
    }
  }
}
