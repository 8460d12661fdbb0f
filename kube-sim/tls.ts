import { webcrypto } from 'node:crypto';
import type { JsonGeneralName } from '@peculiar/x509';
import { isIP } from 'node:net';
import { x509 } from '../pki/x509-library.ts';

export interface ServingMaterial {
  caCertPem: string;
  certPem: string;
  keyPem: string;
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

/**
 * A fresh CA and a serving certificate it signs, for `host` (IP SAN when it is an address, DNS SAN
 * otherwise) and always DNS `localhost`. ECDSA P-256; valid from an hour ago for a year.
 */
export async function createServingMaterial(host: string, clusterName: string): Promise<ServingMaterial> {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(Date.now() + 365 * 24 * 60 * 60 * 1000);
  const caKeys = await crypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const caName = `CN=kube-sim-ca ${clusterName}`;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: caName,
      keys: caKeys,
      notBefore,
      notAfter,
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

  const servingKeys = await crypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const names: JsonGeneralName[] = [{ type: 'dns', value: 'localhost' }];
  if (isIP(host)) names.unshift({ type: 'ip', value: host });
  else if (host !== 'localhost') names.unshift({ type: 'dns', value: host });
  const servingCert = await x509.X509CertificateGenerator.create(
    {
      subject: 'CN=kube-apiserver',
      issuer: caName,
      publicKey: servingKeys.publicKey,
      signingKey: caKeys.privateKey,
      notBefore,
      notAfter,
      signingAlgorithm: ecdsa,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(names, false),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const keyDer = await crypto.subtle.exportKey('pkcs8', servingKeys.privateKey);
  return {
    caCertPem: caCert.toString('pem') + '\n',
    certPem: servingCert.toString('pem') + '\n',
    keyPem: pem('PRIVATE KEY', keyDer),
  };
}
