import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, createKeyAndCsr } from '../../agent/csr-client.ts';
import { AgentError } from '../../agent/agent-error.ts';
import { describeCertificate } from '../../pki/describe.ts';
import { startSecurityFixture, type SecurityFixture } from './security-test-support.ts';

const SA1 = 'spiffe://cluster.local/ns/ns1/sa/sa1';
const SA2 = 'spiffe://cluster.local/ns/ns1/sa/sa2';

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof AgentError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('IstioCertificateService/CreateCertificate', () => {
  let fixture: SecurityFixture;
  let rootPem: string;

  beforeAll(async () => {
    fixture = await startSecurityFixture();
    rootPem = fixture.security.ca.rootCertPem();
    fixture.kubeSim.registerServiceAccountToken('csr-token-sa2', 'ns1', 'sa2');
  });

  afterAll(async () => {
    await fixture.stop();
  });

  it('signs a CSR for the identity of a service-account token: leaf first, root last', async () => {
    const { csrPem } = await createKeyAndCsr(SA2);
    const chain = await createCertificate({
      caAddress: fixture.tlsAddress,
      rootPem,
      authentication: { kind: 'token', token: 'csr-token-sa2' },
      csrPem,
      ttlSeconds: 600,
    });
    expect(describeCertificate(chain[0] ?? '').subjectAltNames).toEqual([`URI:${SA2}`]);
    expect(chain[chain.length - 1]).toBe(rootPem);
    const leaf = describeCertificate(chain[0] ?? '');
    expect(Date.parse(leaf.notAfter) - Date.now()).toBeLessThanOrEqual(600_000);
  });

  it('signs a CSR for the identity of a mesh client certificate', async () => {
    const current = await fixture.security.ca.issueWorkloadCertificate({ namespace: 'ns1', serviceAccount: 'sa1' });
    const { csrPem } = await createKeyAndCsr(SA1);
    const chain = await createCertificate({
      caAddress: fixture.tlsAddress,
      rootPem,
      authentication: { kind: 'certificate', certChainPem: current.certChainPem, privateKeyPem: current.privateKeyPem },
      csrPem,
      ttlSeconds: 600,
    });
    expect(describeCertificate(chain[0] ?? '').subjectAltNames).toEqual([`URI:${SA1}`]);
  });

  it('answers UNAUTHENTICATED to an unknown token and to a caller without credentials', async () => {
    const { csrPem } = await createKeyAndCsr(SA1);
    const unknown = await failure(
      createCertificate({
        caAddress: fixture.tlsAddress,
        rootPem,
        authentication: { kind: 'token', token: 'no-such-token-123' },
        csrPem,
        ttlSeconds: 600,
      }),
    );
    expect(unknown.grpcCode).toBe(status.UNAUTHENTICATED);
    expect(unknown.message).not.toContain('no-such-token-123');
    const anonymous = await failure(
      createCertificate({
        caAddress: fixture.tlsAddress,
        rootPem,
        authentication: { kind: 'token', token: '' },
        csrPem,
        ttlSeconds: 600,
      }),
    );
    expect(anonymous.grpcCode).toBe(status.UNAUTHENTICATED);
  });

  it('answers PERMISSION_DENIED to a CSR for another identity, naming both and no secret', async () => {
    const { csrPem } = await createKeyAndCsr(SA1);
    const denied = await failure(
      createCertificate({
        caAddress: fixture.tlsAddress,
        rootPem,
        authentication: { kind: 'token', token: 'csr-token-sa2' },
        csrPem,
        ttlSeconds: 600,
      }),
    );
    expect(denied.grpcCode).toBe(status.PERMISSION_DENIED);
    expect(denied.message).toContain(SA1);
    expect(denied.message).toContain(SA2);
    expect(denied.message).toContain('MESHPILOT_ERR_CSR_IDENTITY');
    expect(denied.message).not.toContain('csr-token-sa2');
  });

  it('answers INVALID_ARGUMENT to a malformed CSR', async () => {
    const invalid = await failure(
      createCertificate({
        caAddress: fixture.tlsAddress,
        rootPem,
        authentication: { kind: 'token', token: 'csr-token-sa2' },
        csrPem: 'not a csr',
        ttlSeconds: 600,
      }),
    );
    expect(invalid.grpcCode).toBe(status.INVALID_ARGUMENT);
  });
});
