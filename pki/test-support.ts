/**
 * Helpers for this folder's tests: temp folders, a fake clock, and independently built CAs and CSRs
 * (made directly with @peculiar/x509, not through the code under test).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { x509, subtle } from './x509-library.ts';
import { encodePem } from './pem.ts';

export const EC_P256: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const ECDSA_SHA256: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;

export interface FakeClock {
  clock: () => number;
  advance: (ms: number) => void;
  set: (ms: number) => void;
}

export function fakeClock(startMs: number): FakeClock {
  let now = startMs;
  return {
    clock: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'meshpilot-ca-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function generateTestKeys(): Promise<CryptoKeyPair> {
  return subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

export interface TestCa {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

const caExtensions = async (keys: CryptoKeyPair): Promise<x509.Extension[]> => [
  new x509.BasicConstraintsExtension(true, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
];

export async function createTestRoot(name: string, nowMs: number, keys?: CryptoKeyPair): Promise<TestCa> {
  const rootKeys = keys ?? (await generateTestKeys());
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: `CN=${name}`,
    notBefore: new Date(nowMs - DAY_MS),
    notAfter: new Date(nowMs + 3650 * DAY_MS),
    keys: rootKeys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: await caExtensions(rootKeys),
  });
  return { certificate, keys: rootKeys, pem: encodePem('CERTIFICATE', certificate.rawData) };
}

export async function createTestIntermediate(
  name: string,
  issuer: TestCa,
  nowMs: number,
  options: { ca?: boolean } = {},
): Promise<TestCa> {
  const keys = await generateTestKeys();
  const extensions =
    options.ca === false ? [new x509.BasicConstraintsExtension(false, undefined, true)] : await caExtensions(keys);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: `CN=${name}`,
    issuer: issuer.certificate.subjectName,
    notBefore: new Date(nowMs - DAY_MS),
    notAfter: new Date(nowMs + 365 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions,
  });
  return { certificate, keys, pem: encodePem('CERTIFICATE', certificate.rawData) };
}

/** The key as an SEC1 "EC PRIVATE KEY" PEM, the form `openssl ecparam -genkey` writes. */
export async function sec1KeyPem(privateKey: CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', privateKey));
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    .export({ type: 'sec1', format: 'pem' })
    .toString();
}

export async function writePluginFiles(
  dir: string,
  files: Partial<Record<'ca-cert.pem' | 'ca-key.pem' | 'root-cert.pem' | 'cert-chain.pem', string>>,
): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, name), text, { mode: name === 'ca-key.pem' ? 0o600 : 0o644 });
  }
}

/** A PKCS#10 request signed by `keys`, asking for the given URI SANs (none: no SAN extension). */
export async function createTestCsr(keys: CryptoKeyPair, requestedUris: string[]): Promise<string> {
  const extensions =
    requestedUris.length === 0
      ? []
      : [new x509.SubjectAlternativeNameExtension(requestedUris.map((value) => ({ type: 'url' as const, value })))];
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions,
  });
  return request.toString('pem');
}
