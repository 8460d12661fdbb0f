import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { subtle, x509 } from '../../pki/x509-library.ts';
import { CLOCK_SKEW_ALLOWANCE_MS, loadOrCreateCa } from './ca.ts';
import { SecurityError } from '../../pki/errors.ts';
import {
  createTestCsr,
  createTestIntermediate,
  createTestRoot,
  generateTestKeys,
  fakeClock,
  makeTempDir,
  sec1KeyPem,
  writePluginFiles,
} from '../../pki/test-support.ts';

const NOW = Date.parse('2031-03-04T05:06:07.000Z');
const TRUST_DOMAIN = 'mesh.example';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function tempDir(): Promise<string> {
  const { dir, cleanup } = await makeTempDir();
  cleanups.push(cleanup);
  return dir;
}

function nodeCertificates(chainPem: string): X509Certificate[] {
  return [...chainPem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map(
    (match) => new X509Certificate(match[0]),
  );
}

async function expectSecurityError(
  promise: Promise<unknown>,
  code: string,
  ...fragments: string[]
): Promise<SecurityError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SecurityError);
  if (!(error instanceof SecurityError)) throw new Error('unreachable');
  expect(error.code).toBe(code);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

describe('self-signed root', () => {
  it('is generated with the root profile, persisted with a 0600 key, and reloaded unchanged', async () => {
    const dir = join(await tempDir(), 'not', 'yet', 'created');
    const time = fakeClock(NOW);
    const first = await loadOrCreateCa({ dir, trustDomain: TRUST_DOMAIN, clock: time.clock });
    expect(first.source).toBe('generated');

    const keyMode = (await stat(join(dir, 'ca-key.pem'))).mode & 0o777;
    expect(keyMode).toBe(0o600);
    const rootPem = await readFile(join(dir, 'root-cert.pem'), 'utf8');
    expect(first.rootCertPem()).toBe(rootPem);
    expect(await readFile(join(dir, 'ca-cert.pem'), 'utf8')).toBe(rootPem);
    expect(await readFile(join(dir, 'cert-chain.pem'), 'utf8')).toBe(rootPem);

    const root = new x509.X509Certificate(rootPem);
    expect(root.subjectName.getField('CN')).toEqual(['meshpilot root CA']);
    expect(root.subjectName.getField('O')).toEqual([TRUST_DOMAIN]);
    expect(root.issuer).toBe(root.subject);
    const basicConstraints = root.getExtension(x509.BasicConstraintsExtension);
    expect(basicConstraints?.ca).toBe(true);
    expect(basicConstraints?.critical).toBe(true);
    const keyUsage = root.getExtension(x509.KeyUsagesExtension);
    expect(keyUsage?.critical).toBe(true);
    expect(keyUsage?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(root.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    expect(root.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    const tenYears = 10 * 365 * 24 * 3600 * 1000;
    expect(root.notAfter.getTime()).toBe(Math.floor((NOW + tenYears) / 1000) * 1000);
    expect(root.notBefore.getTime()).toBe(NOW - CLOCK_SKEW_ALLOWANCE_MS);
    const nodeRoot = new X509Certificate(rootPem);
    expect(nodeRoot.ca).toBe(true);
    expect(nodeRoot.verify(nodeRoot.publicKey)).toBe(true);

    time.advance(60_000);
    const second = await loadOrCreateCa({ dir, trustDomain: TRUST_DOMAIN, clock: time.clock });
    expect(second.source).toBe('loaded-self-signed');
    expect(second.rootCertPem()).toBe(rootPem);
    expect(await readFile(join(dir, 'ca-key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    // The reloaded CA signs with the persisted key: its leaves verify under the first root.
    const issued = await second.issueWorkloadCertificate({ namespace: 'default', serviceAccount: 'sleep' });
    const [leaf, ...rest] = nodeCertificates(issued.certChainPem);
    expect(rest).toHaveLength(0);
    expect(leaf?.verify(nodeRoot.publicKey)).toBe(true);
  });
});

describe('workload certificates', () => {
  it('carry exactly the SPIFFE URI SAN and Istio leaf extensions, backdated a minute', async () => {
    const dir = await tempDir();
    const time = fakeClock(NOW);
    const ca = await loadOrCreateCa({ dir, trustDomain: TRUST_DOMAIN, clock: time.clock });
    time.advance(3_600_000);
    const ttlMs = 2 * 3_600_000;
    const issued = await ca.issueWorkloadCertificate({ namespace: 'bookinfo', serviceAccount: 'reviews', ttlMs });

    expect(issued.spiffeId).toBe('spiffe://mesh.example/ns/bookinfo/sa/reviews');
    expect(issued.notBefore.getTime()).toBe(time.clock() - CLOCK_SKEW_ALLOWANCE_MS);
    expect(issued.notAfter.getTime()).toBe(time.clock() + ttlMs);
    expect(issued.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const [nodeLeaf] = nodeCertificates(issued.certChainPem);
    expect(nodeLeaf?.subjectAltName).toBe('URI:spiffe://mesh.example/ns/bookinfo/sa/reviews');
    expect(nodeLeaf?.ca).toBe(false);
    expect(nodeLeaf?.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(nodeLeaf?.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);

    const leaf = new x509.X509Certificate(issued.certChainPem);
    const root = new x509.X509Certificate(ca.rootCertPem());
    expect(leaf.subject).toBe('');
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.critical).toBe(true);
    expect(san?.names.items.map((name) => [name.type, name.value])).toEqual([['url', issued.spiffeId]]);
    const keyUsage = leaf.getExtension(x509.KeyUsagesExtension);
    expect(keyUsage?.critical).toBe(true);
    expect(keyUsage?.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      root.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
    expect(leaf.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
  });

  it('rejects bad identities and TTLs with clear errors', async () => {
    const dir = await tempDir();
    const ca = await loadOrCreateCa({ dir, trustDomain: TRUST_DOMAIN, clock: fakeClock(NOW).clock });
    await expectSecurityError(
      ca.issueWorkloadCertificate({ namespace: 'Bad_NS', serviceAccount: 'sa' }),
      'MESHPILOT_ERR_SPIFFE_ID_INVALID',
      'namespace "Bad_NS"',
    );
    await expectSecurityError(
      ca.issueWorkloadCertificate({ namespace: 'ns', serviceAccount: 'sa', ttlMs: 0 }),
      'MESHPILOT_ERR_CA_INVALID_REQUEST',
      'TTL',
    );
    await expectSecurityError(
      ca.issueWorkloadCertificate({ namespace: 'ns', serviceAccount: 'sa', ttlMs: 91 * 24 * 3_600_000 }),
      'MESHPILOT_ERR_CA_INVALID_REQUEST',
      'exceeds the maximum',
    );
  });

  it('never outlive the CA and are refused once the CA has expired', async () => {
    const dir = await tempDir();
    const time = fakeClock(NOW);
    const rootLifetimeMs = 10 * 3_600_000;
    const ca = await loadOrCreateCa({ dir, trustDomain: TRUST_DOMAIN, clock: time.clock, rootLifetimeMs });
    time.advance(rootLifetimeMs - 3_600_000);
    const issued = await ca.issueWorkloadCertificate({ namespace: 'ns', serviceAccount: 'sa' });
    expect(issued.notAfter.getTime()).toBe(Math.floor((NOW + rootLifetimeMs) / 1000) * 1000);
    time.advance(2 * 3_600_000);
    await expectSecurityError(
      ca.issueWorkloadCertificate({ namespace: 'ns', serviceAccount: 'sa' }),
      'MESHPILOT_ERR_CA_EXPIRED',
    );
    await expectSecurityError(
      loadOrCreateCa({ dir, trustDomain: TRUST_DOMAIN, clock: time.clock }),
      'MESHPILOT_ERR_CA_EXPIRED',
      join(dir, 'ca-cert.pem'),
    );
  });
});

describe('plug-in CA files', () => {
  it('signs under the plugged-in intermediate; the chain verifies to the shared root with node crypto', async () => {
    const dir = await tempDir();
    const root = await createTestRoot('shared mesh root', NOW);
    const intermediate = await createTestIntermediate('cluster-a intermediate', root, NOW);
    await writePluginFiles(dir, {
      'ca-cert.pem': intermediate.pem,
      'ca-key.pem': await sec1KeyPem(intermediate.keys.privateKey),
      'root-cert.pem': root.pem,
      'cert-chain.pem': intermediate.pem + root.pem,
    });
    const ca = await loadOrCreateCa({ dir, trustDomain: TRUST_DOMAIN, clock: fakeClock(NOW).clock });
    expect(ca.source).toBe('loaded-intermediate');
    expect(ca.rootCertPem()).toBe(root.pem);

    const issued = await ca.issueWorkloadCertificate({ namespace: 'default', serviceAccount: 'helloworld' });
    const [leaf, issuer, ...rest] = nodeCertificates(issued.certChainPem);
    const nodeRoot = new X509Certificate(root.pem);
    expect(rest).toHaveLength(0);
    if (leaf === undefined || issuer === undefined) throw new Error('chain must hold leaf and intermediate');
    expect(issuer.fingerprint256).toBe(new X509Certificate(intermediate.pem).fingerprint256);
    expect(leaf.checkIssued(issuer)).toBe(true);
    expect(leaf.verify(issuer.publicKey)).toBe(true);
    expect(issuer.checkIssued(nodeRoot)).toBe(true);
    expect(issuer.verify(nodeRoot.publicKey)).toBe(true);
    expect(leaf.verify(nodeRoot.publicKey)).toBe(false);
    expect(leaf.subjectAltName).toBe('URI:spiffe://mesh.example/ns/default/sa/helloworld');

    const verified = await ca.verifyWorkloadChain(issued.certChainPem);
    expect(verified).toMatchObject({ ok: true, namespace: 'default', serviceAccount: 'helloworld' });

    const csrKeys = await generateTestKeys();
    const csrChain = await ca.signCsr({
      csrPem: await createTestCsr(csrKeys, []),
      identity: { namespace: 'default', serviceAccount: 'helloworld' },
    });
    expect(csrChain).toHaveLength(3);
    expect(csrChain[1]).toBe(intermediate.pem);
    expect(csrChain[2]).toBe(root.pem);
    const csrLeaf = new X509Certificate(csrChain[0] ?? '');
    expect(csrLeaf.verify(issuer.publicKey)).toBe(true);
    expect(csrLeaf.subjectAltName).toBe('URI:spiffe://mesh.example/ns/default/sa/helloworld');
  });

  it('accepts an RSA plug-in key in PKCS#1 form', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const keys: CryptoKeyPair = {
      privateKey: await subtle.importKey(
        'pkcs8',
        rsa.privateKey.export({ type: 'pkcs8', format: 'der' }),
        algorithm,
        true,
        ['sign'],
      ),
      publicKey: await subtle.importKey(
        'spki',
        rsa.publicKey.export({ type: 'spki', format: 'der' }),
        algorithm,
        true,
        ['verify'],
      ),
    };
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=rsa root',
      notBefore: new Date(NOW - 1000),
      notAfter: new Date(NOW + 3_600_000),
      keys,
      signingAlgorithm: algorithm,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const pem = certificate.toString('pem');
    const dir = await tempDir();
    await writePluginFiles(dir, {
      'ca-cert.pem': pem,
      'ca-key.pem': rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      'root-cert.pem': pem,
      'cert-chain.pem': pem,
    });
    const ca = await loadOrCreateCa({ dir, trustDomain: TRUST_DOMAIN, clock: fakeClock(NOW).clock });
    expect(ca.source).toBe('loaded-self-signed');
    const issued = await ca.issueWorkloadCertificate({ namespace: 'ns', serviceAccount: 'sa' });
    expect(new X509Certificate(issued.certChainPem).verify(new X509Certificate(pem).publicKey)).toBe(true);
  });

  describe('bad files are named in the error', () => {
    async function pluginSetup(): Promise<{
      dir: string;
      root: Awaited<ReturnType<typeof createTestRoot>>;
      intermediate: Awaited<ReturnType<typeof createTestIntermediate>>;
      keyPem: string;
    }> {
      const dir = await tempDir();
      const root = await createTestRoot('shared mesh root', NOW);
      const intermediate = await createTestIntermediate('cluster intermediate', root, NOW);
      return { dir, root, intermediate, keyPem: await sec1KeyPem(intermediate.keys.privateKey) };
    }
    const load = (dir: string): Promise<unknown> =>
      loadOrCreateCa({ dir, trustDomain: TRUST_DOMAIN, clock: fakeClock(NOW).clock });

    it('a missing file', async () => {
      const { dir, root, intermediate, keyPem } = await pluginSetup();
      await writePluginFiles(dir, { 'ca-cert.pem': intermediate.pem, 'ca-key.pem': keyPem, 'root-cert.pem': root.pem });
      await expectSecurityError(load(dir), 'MESHPILOT_ERR_CA_FILE_MISSING', join(dir, 'cert-chain.pem'));
    });

    it('a key that does not match ca-cert.pem, without leaking the key', async () => {
      const { dir, root, intermediate } = await pluginSetup();
      const otherKeyPem = await sec1KeyPem(root.keys.privateKey);
      await writePluginFiles(dir, {
        'ca-cert.pem': intermediate.pem,
        'ca-key.pem': otherKeyPem,
        'root-cert.pem': root.pem,
        'cert-chain.pem': intermediate.pem + root.pem,
      });
      const error = await expectSecurityError(
        load(dir),
        'MESHPILOT_ERR_CA_KEY_MISMATCH',
        join(dir, 'ca-key.pem'),
        'ca-cert.pem',
      );
      const keyBody = otherKeyPem.split('\n')[1] ?? '';
      expect(keyBody.length).toBeGreaterThan(20);
      expect(error.message).not.toContain(keyBody);
    });

    it('a key file that is not a key', async () => {
      const { dir, root, intermediate } = await pluginSetup();
      await writePluginFiles(dir, {
        'ca-cert.pem': intermediate.pem,
        'ca-key.pem': 'not a key',
        'root-cert.pem': root.pem,
        'cert-chain.pem': intermediate.pem + root.pem,
      });
      await expectSecurityError(load(dir), 'MESHPILOT_ERR_CA_UNSUPPORTED_KEY', join(dir, 'ca-key.pem'));
    });

    it('a ca-cert.pem that is not a CA', async () => {
      const { dir, root } = await pluginSetup();
      const leaf = await createTestIntermediate('not a ca', root, NOW, { ca: false });
      await writePluginFiles(dir, {
        'ca-cert.pem': leaf.pem,
        'ca-key.pem': await sec1KeyPem(leaf.keys.privateKey),
        'root-cert.pem': root.pem,
        'cert-chain.pem': leaf.pem + root.pem,
      });
      await expectSecurityError(load(dir), 'MESHPILOT_ERR_CA_NOT_A_CA', join(dir, 'ca-cert.pem'), 'CN=not a ca');
    });

    it('a root-cert.pem that is not PEM', async () => {
      const { dir, root, intermediate, keyPem } = await pluginSetup();
      await writePluginFiles(dir, {
        'ca-cert.pem': intermediate.pem,
        'ca-key.pem': keyPem,
        'root-cert.pem': 'garbage',
        'cert-chain.pem': intermediate.pem + root.pem,
      });
      await expectSecurityError(
        load(dir),
        'MESHPILOT_ERR_CA_FILE_INVALID',
        join(dir, 'root-cert.pem'),
        'no PEM CERTIFICATE block',
      );
    });

    it('a key where a certificate belongs', async () => {
      const { dir, root, keyPem } = await pluginSetup();
      await writePluginFiles(dir, {
        'ca-cert.pem': keyPem,
        'ca-key.pem': keyPem,
        'root-cert.pem': root.pem,
        'cert-chain.pem': root.pem,
      });
      const error = await expectSecurityError(
        load(dir),
        'MESHPILOT_ERR_CA_FILE_INVALID',
        join(dir, 'ca-cert.pem'),
        'EC PRIVATE KEY',
      );
      expect(error.message).not.toContain(keyPem.split('\n')[1] ?? 'unreachable');
    });

    it('a chain that does not reach root-cert.pem', async () => {
      const { dir, intermediate, keyPem } = await pluginSetup();
      const unrelatedRoot = await createTestRoot('unrelated root', NOW);
      await writePluginFiles(dir, {
        'ca-cert.pem': intermediate.pem,
        'ca-key.pem': keyPem,
        'root-cert.pem': unrelatedRoot.pem,
        'cert-chain.pem': intermediate.pem,
      });
      await expectSecurityError(
        load(dir),
        'MESHPILOT_ERR_CA_CHAIN_INVALID',
        join(dir, 'cert-chain.pem'),
        'CN=cluster intermediate',
      );
    });

    it('a cert-chain.pem that does not start with ca-cert.pem', async () => {
      const { dir, root, intermediate, keyPem } = await pluginSetup();
      await writePluginFiles(dir, {
        'ca-cert.pem': intermediate.pem,
        'ca-key.pem': keyPem,
        'root-cert.pem': root.pem,
        'cert-chain.pem': root.pem,
      });
      await expectSecurityError(
        load(dir),
        'MESHPILOT_ERR_CA_CHAIN_INVALID',
        join(dir, 'cert-chain.pem'),
        'must start with',
      );
    });
  });
});
