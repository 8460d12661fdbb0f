import { X509Certificate, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, type CertificateAuthority } from './ca.ts';
import { SecurityError } from '../../pki/errors.ts';
import { decodePemBlocks, encodePem } from '../../pki/pem.ts';
import { subtle } from '../../pki/x509-library.ts';
import { createTestCsr, fakeClock, generateTestKeys, makeTempDir } from '../../pki/test-support.ts';

const NOW = Date.parse('2031-03-04T05:06:07.000Z');
const identity = { namespace: 'default', serviceAccount: 'helloworld' };
const authenticatedId = 'spiffe://cluster.local/ns/default/sa/helloworld';

let ca: CertificateAuthority;
let cleanup: () => Promise<void>;
let keys: CryptoKeyPair;

beforeAll(async () => {
  const temp = await makeTempDir();
  cleanup = temp.cleanup;
  ca = await loadOrCreateCa({ dir: temp.dir, trustDomain: 'cluster.local', clock: fakeClock(NOW).clock });
  keys = await generateTestKeys();
});

afterAll(async () => {
  await cleanup();
});

async function signError(csrPem: string): Promise<SecurityError> {
  const error = await ca.signCsr({ csrPem, identity }).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof SecurityError)) throw new Error(`expected a SecurityError, got ${String(error)}`);
  return error;
}

describe('signCsr', () => {
  it('signs the CSR key for the authenticated identity and returns leaf … root like Istio', async () => {
    const chain = await ca.signCsr({
      csrPem: await createTestCsr(keys, [authenticatedId]),
      identity,
      ttlMs: 3_600_000,
    });
    expect(chain).toHaveLength(2);
    const leaf = new X509Certificate(chain[0] ?? '');
    const root = new X509Certificate(chain[1] ?? '');
    expect(chain[1]).toBe(ca.rootCertPem());
    expect(leaf.subjectAltName).toBe(`URI:${authenticatedId}`);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.checkIssued(root)).toBe(true);
    const requestedKey = createPublicKey({
      key: Buffer.from(await subtle.exportKey('spki', keys.publicKey)),
      format: 'der',
      type: 'spki',
    });
    expect(leaf.publicKey.equals(requestedKey)).toBe(true);
    expect(new Date(leaf.validTo).getTime()).toBe(NOW + 3_600_000);
  });

  it('issues the authenticated identity when the CSR asks for no SAN', async () => {
    const chain = await ca.signCsr({ csrPem: await createTestCsr(keys, []), identity });
    expect(new X509Certificate(chain[0] ?? '').subjectAltName).toBe(`URI:${authenticatedId}`);
  });

  it('rejects a CSR asking for another identity, naming both', async () => {
    const requested = 'spiffe://cluster.local/ns/istio-system/sa/istiod';
    const error = await signError(await createTestCsr(keys, [authenticatedId, requested]));
    expect(error.code).toBe('MESHPILOT_ERR_CSR_IDENTITY');
    expect(error.message).toContain(`"${requested}"`);
    expect(error.message).toContain(`"${authenticatedId}"`);
  });

  it('rejects a CSR for the same names in another trust domain', async () => {
    const error = await signError(await createTestCsr(keys, ['spiffe://other.domain/ns/default/sa/helloworld']));
    expect(error.code).toBe('MESHPILOT_ERR_CSR_IDENTITY');
  });

  it('rejects a CSR whose signature is broken', async () => {
    const csrPem = await createTestCsr(keys, [authenticatedId]);
    const decoded = decodePemBlocks(csrPem);
    if (!decoded.ok || decoded.value[0] === undefined) throw new Error('test CSR must decode');
    const der = decoded.value[0].der;
    der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
    const error = await signError(encodePem('CERTIFICATE REQUEST', der));
    expect(error.code).toBe('MESHPILOT_ERR_CSR_INVALID');
    expect(error.message).toMatch(/signature/);
  });

  it('rejects a CSR whose content was changed after signing', async () => {
    const csrPem = await createTestCsr(keys, [authenticatedId]);
    const decoded = decodePemBlocks(csrPem);
    if (!decoded.ok || decoded.value[0] === undefined) throw new Error('test CSR must decode');
    const der = decoded.value[0].der;
    const text = Buffer.from(der).toString('latin1');
    const at = text.indexOf('helloworld');
    expect(at).toBeGreaterThan(0);
    der[at] = 'j'.charCodeAt(0); // requests ".../sa/jelloworld" under the original signature
    const error = await signError(encodePem('CERTIFICATE REQUEST', der));
    expect(error.code).toBe('MESHPILOT_ERR_CSR_INVALID');
  });

  it('rejects text that is not a CSR without echoing it', async () => {
    expect((await signError('hello')).code).toBe('MESHPILOT_ERR_CSR_INVALID');
    const keyPem = encodePem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey));
    const error = await signError(keyPem);
    expect(error.code).toBe('MESHPILOT_ERR_CSR_INVALID');
    expect(error.message).toContain('PRIVATE KEY');
    expect(error.message).not.toContain(keyPem.split('\n')[1] ?? 'unreachable');
  });
});
