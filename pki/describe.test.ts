import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { loadOrCreateCa, type CertificateAuthority } from '../server/security/ca.ts';
import { describeCertificate, describeCertificateChain } from './describe.ts';
import { fakeClock, makeTempDir } from './test-support.ts';

const NOW = Date.parse('2031-03-04T05:06:07.000Z');
let ca: CertificateAuthority;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await makeTempDir();
  cleanup = temp.cleanup;
  ca = await loadOrCreateCa({ dir: temp.dir, trustDomain: 'cluster.local', clock: fakeClock(NOW).clock });
});

afterAll(async () => {
  await cleanup();
});

describe('describeCertificate', () => {
  it('summarises subject, SANs, serial and validity', async () => {
    const issued = await ca.issueWorkloadCertificate({
      namespace: 'default',
      serviceAccount: 'sleep',
      ttlMs: 3_600_000,
    });
    const description = describeCertificate(issued.certChainPem);
    expect(description).toMatchObject({
      subject: '',
      issuer: 'O=cluster.local, CN=meshpilot root CA',
      subjectAltNames: ['URI:spiffe://cluster.local/ns/default/sa/sleep'],
      notBefore: new Date(NOW - 60_000).toISOString(),
      notAfter: new Date(NOW + 3_600_000).toISOString(),
      isCa: false,
    });
    expect(description.serialNumber.toUpperCase()).toBe(
      new X509Certificate(issued.certChainPem).serialNumber.toUpperCase(),
    );

    const serving = await ca.issueServingCertificate({
      dnsNames: ['meshpilot.istio-system.svc'],
      ipAddresses: ['10.0.0.1', '::1'],
    });
    expect(describeCertificate(serving.certChainPem).subjectAltNames).toEqual([
      'DNS:meshpilot.istio-system.svc',
      'IP:10.0.0.1',
      'IP:::1',
    ]);
    expect(describeCertificateChain(ca.rootCertPem())[0]).toMatchObject({
      isCa: true,
      subject: 'O=cluster.local, CN=meshpilot root CA',
    });
  });

  it('refuses key material without echoing it', async () => {
    const issued = await ca.issueWorkloadCertificate({ namespace: 'default', serviceAccount: 'sleep' });
    const keyLine = issued.privateKeyPem.split('\n')[1] ?? 'unreachable';
    expect(() => describeCertificate(issued.privateKeyPem)).toThrow(/MESHPILOT_ERR_PEM_INVALID.*PRIVATE KEY/);
    try {
      describeCertificate(issued.privateKeyPem);
    } catch (error: unknown) {
      expect(String(error)).not.toContain(keyLine);
    }
  });

  it('describes the CA itself for debug pages', () => {
    const summary = ca.describe();
    expect(summary.source).toBe('generated');
    expect(summary.intermediates).toEqual([]);
    expect(summary.roots).toHaveLength(1);
    expect(summary.signingCertificate).toEqual(summary.roots[0]);
  });
});

describe('issueServingCertificate input checks', () => {
  it.each([
    [{ dnsNames: [] }, /at least one/],
    [{ dnsNames: ['Bad Name'] }, /"Bad Name"/],
    [{ dnsNames: ['ok.example'], ipAddresses: ['300.1.1.1'] }, /"300.1.1.1"/],
  ])('rejects %j', async (request, reason) => {
    await expect(ca.issueServingCertificate(request)).rejects.toThrow(reason);
  });
});
