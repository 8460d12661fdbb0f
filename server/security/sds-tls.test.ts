import { createPrivateKey, createPublicKey } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsTestClient, node, type DecodedResponse } from '../../e2e/support/ads-client.ts';
import { SECRET_TYPE } from '../../protos/type-urls.ts';
import { describeCertificate } from '../../pki/describe.ts';
import { loadOrCreateCa } from './ca.ts';
import { makeTempDir } from '../../pki/test-support.ts';
import { bearer, logRecords, startSecurityFixture, type SecurityFixture } from './security-test-support.ts';
import type { ProtoObject } from '../../protos/any.ts';
import { credentials } from '@grpc/grpc-js';

const NODE_ID = 'sidecar~10.1.0.7~app-1.ns1~ns1.svc.cluster.local';

interface ReceivedSecret {
  name: string;
  object: ProtoObject;
}

function secretsOf(response: DecodedResponse): ReceivedSecret[] {
  return response.resources.map((object) => ({ name: String(object.name), object }));
}

function inlineText(value: unknown): string {
  const inline = (value as { inline_bytes?: string } | undefined)?.inline_bytes ?? '';
  return Buffer.from(inline, 'base64').toString('utf8');
}

/** Reads SDS responses until `name` arrives (at most `limit` responses). */
async function awaitSecret(
  client: AdsTestClient,
  name: string,
  limit = 5,
): Promise<{ secret: ReceivedSecret; seen: ReceivedSecret[] }> {
  const seen: ReceivedSecret[] = [];
  for (let index = 0; index < limit; index += 1) {
    const response = await client.responses.next(5_000);
    expect(response.type_url).toBe(SECRET_TYPE);
    client.send({
      type_url: SECRET_TYPE,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: ['default', 'ROOTCA'],
    });
    seen.push(...secretsOf(response));
    const secret = seen.find((s) => s.name === name);
    if (secret !== undefined) return { secret, seen };
  }
  throw new Error(`no ${name} secret within ${limit} responses`);
}

function subscribe(client: AdsTestClient, metadata: Record<string, string>, names = ['default', 'ROOTCA']): void {
  client.send({ node: node(NODE_ID, metadata), type_url: SECRET_TYPE, resource_names: names });
}

describe('SDS over ADS on the TLS xDS port', () => {
  let fixture: SecurityFixture;
  const clients: AdsTestClient[] = [];

  beforeAll(async () => {
    fixture = await startSecurityFixture();
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await fixture.stop();
  });

  function open(address: string, connect: ConstructorParameters<typeof AdsTestClient>[2] = {}): AdsTestClient {
    const client = new AdsTestClient(address, 'sotw', connect);
    clients.push(client);
    return client;
  }

  it('gives a proxy authenticated by its client certificate its own default and ROOTCA', async () => {
    const client = open(fixture.tlsAddress, {
      credentials: await fixture.channelCredentials({ namespace: 'ns1', serviceAccount: 'sa1' }),
    });
    subscribe(client, { SERVICE_ACCOUNT: 'sa1', NAMESPACE: 'ns1' });
    const { secret, seen } = await awaitSecret(client, 'default');

    const tls = secret.object.tls_certificate as Record<string, unknown>;
    const chainPem = inlineText(tls.certificate_chain);
    const keyPem = inlineText(tls.private_key);
    expect(describeCertificate(chainPem).subjectAltNames).toEqual(['URI:spiffe://cluster.local/ns/ns1/sa/sa1']);
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    const fromCert = createPublicKey(chainPem).export({ type: 'spki', format: 'der' });
    expect(Buffer.from(fromKey).equals(Buffer.from(fromCert))).toBe(true);

    const rootCa = seen.find((s) => s.name === 'ROOTCA');
    expect(inlineText((rootCa?.object.validation_context as Record<string, unknown>).trusted_ca)).toBe(
      fixture.security.ca.rootCertPem(),
    );
  });

  it('forgets a closed SDS stream at once, not at the next rotation (issue 13 point 5)', async () => {
    const before = fixture.security.sds.watchedStreams;
    const client = open(fixture.tlsAddress, {
      credentials: await fixture.channelCredentials({ namespace: 'ns1', serviceAccount: 'sa1' }),
    });
    subscribe(client, { SERVICE_ACCOUNT: 'sa1', NAMESPACE: 'ns1' });
    await awaitSecret(client, 'default');
    expect(fixture.security.sds.watchedStreams).toBe(before + 1);
    client.close();
    const deadline = Date.now() + 5_000;
    while (fixture.security.sds.watchedStreams > before && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fixture.security.sds.watchedStreams).toBe(before);
  });

  it('serves the authenticated identity, not the one the node metadata claims, and logs the mismatch', async () => {
    const client = open(fixture.tlsAddress, {
      credentials: await fixture.channelCredentials({ namespace: 'ns1', serviceAccount: 'sa1' }),
    });
    subscribe(client, { SERVICE_ACCOUNT: 'sa2', NAMESPACE: 'ns1' }, [
      'default',
      'ROOTCA',
      'spiffe://cluster.local/ns/ns1/sa/sa2',
    ]);
    const { secret, seen } = await awaitSecret(client, 'default');
    const chainPem = inlineText((secret.object.tls_certificate as Record<string, unknown>).certificate_chain);
    expect(describeCertificate(chainPem).subjectAltNames).toEqual(['URI:spiffe://cluster.local/ns/ns1/sa/sa1']);
    expect(seen.map((s) => s.name).sort()).toEqual(['ROOTCA', 'default']);
    const denials = logRecords(fixture.logLines).filter(
      (r) => r.code === 'MESHPILOT_ERR_SDS_DENIED' && r.proxy === NODE_ID,
    );
    expect(denials.some((r) => r.claimedServiceAccount === 'sa2' && r.authenticatedAs === 'ns1/sa1')).toBe(true);
    expect(denials.some((r) => r.secret === 'spiffe://cluster.local/ns/ns1/sa/sa2')).toBe(true);
  });

  it('gives a plaintext proxy claiming sa1 only ROOTCA, and logs the denial', async () => {
    const client = open(fixture.plaintextAddress);
    subscribe(client, { SERVICE_ACCOUNT: 'sa1', NAMESPACE: 'ns1' });
    const first = await client.responses.next(5_000);
    expect(secretsOf(first).map((s) => s.name)).toEqual(['ROOTCA']);
    client.send({
      type_url: SECRET_TYPE,
      version_info: first.version_info,
      response_nonce: first.nonce,
      resource_names: ['default', 'ROOTCA'],
    });
    expect(await client.responses.quiet(300)).toBe(true);
    const denial = logRecords(fixture.logLines).find(
      (r) =>
        r.code === 'MESHPILOT_ERR_SDS_DENIED' && r.claimedServiceAccount === 'sa1' && r.authenticatedAs === undefined,
    );
    expect(denial?.msg).toMatch(/not authenticated/);
  });

  it('authenticates a service-account token with the kube cluster TokenReview API', async () => {
    fixture.kubeSim.registerServiceAccountToken('token-for-ns1-sa2', 'ns1', 'sa2');
    const client = open(fixture.tlsAddress, {
      credentials: await fixture.channelCredentials(),
      metadata: bearer('token-for-ns1-sa2'),
    });
    subscribe(client, { SERVICE_ACCOUNT: 'sa2', NAMESPACE: 'ns1' });
    const { secret } = await awaitSecret(client, 'default');
    const chainPem = inlineText((secret.object.tls_certificate as Record<string, unknown>).certificate_chain);
    expect(describeCertificate(chainPem).subjectAltNames).toEqual(['URI:spiffe://cluster.local/ns/ns1/sa/sa2']);
  });

  it('refuses TLS streams with an unknown token, no credentials, or a certificate from another CA', async () => {
    const otherDir = await makeTempDir();
    try {
      const otherCa = await loadOrCreateCa({ dir: otherDir.dir, trustDomain: 'cluster.local' });
      const foreign = await otherCa.issueWorkloadCertificate({ namespace: 'ns1', serviceAccount: 'sa1' });
      const root = Buffer.from(fixture.security.ca.rootCertPem());
      const attempts = [
        open(fixture.tlsAddress, {
          credentials: await fixture.channelCredentials(),
          metadata: bearer('not-a-registered-token'),
        }),
        open(fixture.tlsAddress, { credentials: await fixture.channelCredentials() }),
        open(fixture.tlsAddress, {
          credentials: credentials.createSsl(
            root,
            Buffer.from(foreign.privateKeyPem),
            Buffer.from(foreign.certChainPem),
          ),
        }),
      ];
      for (const client of attempts) subscribe(client, { SERVICE_ACCOUNT: 'sa1', NAMESPACE: 'ns1' });
      const statuses = await Promise.all(attempts.map((client) => client.status()));
      for (const ended of statuses) {
        expect(ended.code).toBe(status.UNAUTHENTICATED);
        expect(ended.details).toMatch(/MESHPILOT_ERR_UNAUTHENTICATED/);
      }
      expect(statuses[0]?.details).toMatch(/did not authenticate the token/);
      expect(statuses[0]?.details).not.toContain('not-a-registered-token');
    } finally {
      await otherDir.cleanup();
    }
  });
});

describe('SDS rotation', () => {
  let fixture: SecurityFixture;
  let client: AdsTestClient | undefined;

  beforeAll(async () => {
    fixture = await startSecurityFixture({ workloadCertTtlMs: 3_000 });
  });

  afterAll(async () => {
    client?.close();
    await fixture.stop();
  });

  it('pushes a new default before the current one expires', async () => {
    client = new AdsTestClient(fixture.tlsAddress, 'sotw', {
      credentials: await fixture.channelCredentials({ namespace: 'ns1', serviceAccount: 'sa1' }),
    });
    subscribe(client, { SERVICE_ACCOUNT: 'sa1', NAMESPACE: 'ns1' });
    const first = await awaitSecret(client, 'default');
    const firstPem = inlineText((first.secret.object.tls_certificate as Record<string, unknown>).certificate_chain);
    const firstNotAfter = Date.parse(describeCertificate(firstPem).notAfter);

    const second = await awaitSecret(client, 'default');
    const receivedAt = Date.now();
    const secondPem = inlineText((second.secret.object.tls_certificate as Record<string, unknown>).certificate_chain);
    expect(secondPem).not.toBe(firstPem);
    expect(describeCertificate(secondPem).subjectAltNames).toEqual(['URI:spiffe://cluster.local/ns/ns1/sa/sa1']);
    expect(receivedAt).toBeLessThan(firstNotAfter);
    expect(Date.parse(describeCertificate(secondPem).notAfter)).toBeGreaterThan(firstNotAfter);
  });
});
