/**
 * Key pairs and signing algorithms. CA keys may come from Istio plug-in files in any common PEM
 * encoding (PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY"); Node's KeyObject reads them all
 * and hands webcrypto a PKCS#8 copy. Workload keys are always ECDSA P-256.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { subtle } from './x509-library.ts';
import { encodePem, type ParseResult } from './pem.ts';
import { errorMessage } from '../common/error-message.ts';

export interface SigningKey {
  privateKey: CryptoKey;
  /** The algorithm certificates signed by this key use. */
  signingAlgorithm: EcdsaParams | RsaHashedImportParams;
  /** The matching public key, to compare with a certificate's. */
  publicKey: KeyObject;
}

export const WORKLOAD_KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const WORKLOAD_SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

const EC_CURVES: Record<string, { webCurve: string; hash: string }> = {
  prime256v1: { webCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { webCurve: 'P-384', hash: 'SHA-384' },
};
const MIN_RSA_BITS = 2048;

export async function generateEcdsaKeyPair(): Promise<CryptoKeyPair> {
  return subtle.generateKey(WORKLOAD_KEY_ALGORITHM, true, ['sign', 'verify']);
}

export async function exportPrivateKeyPem(privateKey: CryptoKey): Promise<string> {
  return encodePem('PRIVATE KEY', await subtle.exportKey('pkcs8', privateKey));
}

/** Reads a CA private key PEM. Reasons never include key material. */
export async function importSigningKeyPem(pem: string): Promise<ParseResult<SigningKey>> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error: unknown) {
    return { ok: false, reason: `not a readable unencrypted PEM private key (${errorMessage(error)})` };
  }
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const publicKey = createPublicKey(keyObject);
  if (keyObject.asymmetricKeyType === 'ec') {
    const curveName = keyObject.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const curve = EC_CURVES[curveName];
    if (curve === undefined)
      return { ok: false, reason: `EC curve ${curveName} is not supported (use P-256 or P-384)` };
    const privateKey = await subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: curve.webCurve }, false, [
      'sign',
    ]);
    return { ok: true, value: { privateKey, publicKey, signingAlgorithm: { name: 'ECDSA', hash: curve.hash } } };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS)
      return { ok: false, reason: `RSA key of ${bits} bits is too weak (at least ${MIN_RSA_BITS} needed)` };
    const algorithm: RsaHashedImportParams = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const privateKey = await subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
    return { ok: true, value: { privateKey, publicKey, signingAlgorithm: algorithm } };
  }
  return {
    ok: false,
    reason: `key type ${keyObject.asymmetricKeyType ?? 'unknown'} is not supported (use ECDSA P-256/P-384 or RSA)`,
  };
}

/** Node's view of a DER SubjectPublicKeyInfo, for comparing and inspecting public keys. */
export function publicKeyFromSpki(spki: ArrayBuffer): KeyObject {
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/** Why a requested (CSR) public key is unacceptable for a workload certificate, or undefined. */
export function workloadPublicKeyProblem(publicKey: KeyObject): string | undefined {
  if (publicKey.asymmetricKeyType === 'ec') {
    const curveName = publicKey.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    return curveName in EC_CURVES ? undefined : `EC curve ${curveName} is not supported (use P-256 or P-384)`;
  }
  if (publicKey.asymmetricKeyType === 'rsa') {
    const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    return bits >= MIN_RSA_BITS ? undefined : `RSA key of ${bits} bits is too weak (at least ${MIN_RSA_BITS} needed)`;
  }
  return `key type ${publicKey.asymmetricKeyType ?? 'unknown'} is not supported (use ECDSA P-256/P-384 or RSA)`;
}
