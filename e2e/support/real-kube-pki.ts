import { generateKeyPairSync, webcrypto } from 'node:crypto';
import type { JsonGeneralName } from '@peculiar/x509';
import { x509 } from '../../pki/x509-library.ts';

/**
 * The certificates and keys one real kube cluster runs with, made fresh per test run: its own CA, the
 * API server's serving certificate, an admin client certificate (group system:masters, as kubeadm's
 * admin.conf) and the service-account token signing key.
 */
export interface KubePki {
  readonly caCertPem: string;
  readonly servingCertPem: string;
  readonly servingKeyPem: string;
  readonly adminCertPem: string;
  readonly adminKeyPem: string;
  /** PKCS#8 PEM; the API server signs service-account tokens with it and verifies them with its public half. */
  readonly serviceAccountKeyPem: string;
}

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const crypto = webcrypto as unknown as Crypto;

function pem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

async function issue(
  ca: { name: string; keys: CryptoKeyPair },
  subject: string,
  usage: 'server' | 'client',
  names: readonly JsonGeneralName[],
  validity: { notBefore: Date; notAfter: Date },
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await crypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(
      [usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
      false,
    ),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false, crypto),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension([...names], false));
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject,
      issuer: ca.name,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      ...validity,
      signingAlgorithm: ecdsa,
      extensions,
    },
    crypto,
  );
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', keys.privateKey)),
  };
}

/** A PKI for kube cluster `clusterName` whose API server listens on `host` (an IPv4 loopback address). */
export async function createKubePki(clusterName: string, host: string): Promise<KubePki> {
  const validity = {
    notBefore: new Date(Date.now() - 60 * 60 * 1000),
    notAfter: new Date(Date.now() + 7 * 24 * 60 * 60 * 1000),
  };
  const caKeys = await crypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const caName = `CN=${clusterName}-ca`;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: caName,
      keys: caKeys,
      ...validity,
      signingAlgorithm: ecdsa,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const ca = { name: caName, keys: caKeys };
  const serving = await issue(
    ca,
    'CN=kube-apiserver',
    'server',
    [
      { type: 'ip', value: host },
      { type: 'dns', value: 'localhost' },
      { type: 'dns', value: 'kubernetes.default.svc' },
    ],
    validity,
  );
  const admin = await issue(ca, 'CN=meshpilot-test-admin, O=system:masters', 'client', [], validity);
  const serviceAccountKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  return {
    caCertPem: caCert.toString('pem') + '\n',
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
    serviceAccountKeyPem,
  };
}
