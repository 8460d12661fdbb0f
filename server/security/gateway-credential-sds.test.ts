import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsTestClient, type DecodedResponse } from '../../e2e/support/ads-client.ts';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import type { GatewayServer } from '../../model/istio/types.ts';
import { SECRET_TYPE } from '../../protos/type-urls.ts';
import { istioObject, withIstioConfig } from '../../translators/test-support/istio-config.ts';
import { logRecords, startSecurityFixture, type SecurityFixture } from './security-test-support.ts';
import { credentialSecret, reduceCredentialSecret } from './gateway-credential-secrets.ts';

const GATEWAY_NODE = 'router~10.0.0.9~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local';
const GATEWAY_IDENTITY = { namespace: 'istio-system', serviceAccount: 'istio-ingressgateway' };

const server = (name: string, mode: 'SIMPLE' | 'MUTUAL', credentialName: string): GatewayServer => ({
  port: { number: 443, name, protocol: 'HTTPS' },
  tls: { mode, credentialName },
  hosts: [`${name}.example.com`],
});

// The Gateways of the mesh: istio-system's names hello-cred (SIMPLE), mtls-cred (MUTUAL) and missing-cred (no
// Secret); a Gateway of another namespace selecting the same gateway names other-cred (not trusted: Istio's
// same-namespace rule).
const snapshot = withIstioConfig(snapshotOf([], 'cluster-a'), [
  istioObject('Gateway', 'istio-system', 'public', {
    selector: { istio: 'ingressgateway' },
    servers: [
      server('hello', 'SIMPLE', 'hello-cred'),
      server('mtls', 'MUTUAL', 'mtls-cred'),
      server('missing', 'SIMPLE', 'missing-cred'),
    ],
  }),
  istioObject('Gateway', 'team', 'team', {
    selector: { istio: 'ingressgateway' },
    servers: [server('team', 'SIMPLE', 'other-cred')],
  }),
]);

function routerNode(labels: Record<string, string>): Record<string, unknown> {
  const str = (v: string) => ({ stringValue: v });
  return {
    id: GATEWAY_NODE,
    metadata: {
      fields: {
        CLUSTER_ID: str('cluster-a'),
        NAMESPACE: str('istio-system'),
        SERVICE_ACCOUNT: str('istio-ingressgateway'),
        LABELS: { structValue: { fields: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, str(v)])) } },
      },
    },
  };
}

function tlsSecret(name: string, certPem: string, keyPem: string, caPem?: string): Record<string, unknown> {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'istio-system' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(certPem), 'tls.key': b64(keyPem), ...(caPem !== undefined ? { 'ca.crt': b64(caPem) } : {}) },
  };
}

function inlineText(value: unknown): string {
  const inline = (value as { inline_bytes?: string } | undefined)?.inline_bytes ?? '';
  return Buffer.from(inline, 'base64').toString('utf8');
}

type Secrets = Map<string, Record<string, unknown>>;

/** Reads SDS responses (acknowledging each) until `done` holds for what arrived (at most `limit` responses). */
async function secretsUntil(
  client: AdsTestClient,
  names: readonly string[],
  done: (secrets: Secrets) => boolean,
  limit = 8,
): Promise<Secrets> {
  for (let index = 0; index < limit; index += 1) {
    const response: DecodedResponse = await client.responses.next(10_000);
    expect(response.type_url).toBe(SECRET_TYPE);
    client.send({
      type_url: SECRET_TYPE,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: [...names],
    });
    const secrets: Secrets = new Map(response.resources.map((r) => [String(r.name), r]));
    if (done(secrets)) return secrets;
  }
  throw new Error(`the expected secrets did not arrive within ${limit} responses`);
}

describe('SDS of Gateway credentials from kube Secrets (kubernetes://<credentialName>)', () => {
  let fixture: SecurityFixture;
  const clients: AdsTestClient[] = [];
  let hello: { certChainPem: string; privateKeyPem: string };
  let mtls: { certChainPem: string; privateKeyPem: string };

  beforeAll(async () => {
    fixture = await startSecurityFixture({}, { gatewaySnapshot: () => snapshot });
    // Any PEM pair serves as the gateways' certificates; the mesh CA makes them.
    hello = await fixture.security.ca.issueWorkloadCertificate({ namespace: 'x', serviceAccount: 'hello' });
    mtls = await fixture.security.ca.issueWorkloadCertificate({ namespace: 'x', serviceAccount: 'mtls' });
    fixture.kubeSim.apply(tlsSecret('hello-cred', hello.certChainPem, hello.privateKeyPem));
    fixture.kubeSim.apply(
      tlsSecret('mtls-cred', mtls.certChainPem, mtls.privateKeyPem, fixture.security.ca.rootCertPem()),
    );
    fixture.kubeSim.apply(tlsSecret('other-cred', hello.certChainPem, hello.privateKeyPem));
    fixture.kubeSim.apply(tlsSecret('unreferenced', hello.certChainPem, hello.privateKeyPem));
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await fixture.stop();
  });

  async function open(identity: { namespace: string; serviceAccount: string }): Promise<AdsTestClient> {
    const client = new AdsTestClient(fixture.tlsAddress, 'sotw', {
      credentials: await fixture.channelCredentials(identity),
    });
    clients.push(client);
    return client;
  }

  it("serves an authenticated gateway the certificate and client CA its namespace's Gateways name, nothing else, and pushes a changed Secret", async () => {
    const client = await open(GATEWAY_IDENTITY);
    const names = [
      'kubernetes://hello-cred',
      'kubernetes://mtls-cred-cacert',
      'kubernetes://missing-cred',
      'kubernetes://other-cred',
      'kubernetes://unreferenced',
    ];
    client.send({ node: routerNode({ istio: 'ingressgateway' }), type_url: SECRET_TYPE, resource_names: names });
    const secrets = await secretsUntil(
      client,
      names,
      (s) => s.has('kubernetes://hello-cred') && s.has('kubernetes://mtls-cred-cacert'),
    );
    expect([...secrets.keys()].filter((n) => n.startsWith('kubernetes://')).sort()).toEqual([
      'kubernetes://hello-cred',
      'kubernetes://mtls-cred-cacert',
    ]);
    const certificate = secrets.get('kubernetes://hello-cred')!.tls_certificate as Record<string, unknown>;
    expect(inlineText(certificate.certificate_chain)).toBe(hello.certChainPem);
    expect(inlineText(certificate.private_key)).toBe(hello.privateKeyPem);
    const validation = secrets.get('kubernetes://mtls-cred-cacert')!.validation_context as Record<string, unknown>;
    expect(inlineText(validation.trusted_ca)).toBe(fixture.security.ca.rootCertPem());

    const warnings = logRecords(fixture.logLines).filter((r) => r.msg === 'SDS gateway credential not served');
    expect(warnings.map((w) => [w.secret, w.code])).toEqual(
      expect.arrayContaining([
        ['kubernetes://missing-cred', 'MESHPILOT_ERR_GATEWAY_CREDENTIAL'],
        ['kubernetes://other-cred', 'MESHPILOT_ERR_SDS_DENIED'],
        ['kubernetes://unreferenced', 'MESHPILOT_ERR_SDS_DENIED'],
      ]),
    );
    expect(warnings.find((w) => w.secret === 'kubernetes://missing-cred')?.reason).toBe(
      'Secret istio-system/missing-cred not found',
    );
    // Never key material in the logs.
    const keyBody = hello.privateKeyPem.split('\n')[1]!;
    expect(fixture.logLines.some((line) => line.includes(keyBody))).toBe(false);

    // The Secret is rotated: the gateway is pushed the new certificate.
    fixture.kubeSim.apply(tlsSecret('hello-cred', mtls.certChainPem, mtls.privateKeyPem));
    const rotated = await secretsUntil(client, names, (s) => {
      const c = s.get('kubernetes://hello-cred')?.tls_certificate as Record<string, unknown> | undefined;
      return c !== undefined && inlineText(c.certificate_chain) === mtls.certChainPem;
    });
    expect(
      inlineText((rotated.get('kubernetes://hello-cred')!.tls_certificate as Record<string, unknown>).private_key),
    ).toBe(mtls.privateKeyPem);
  });

  it('serves nothing to a stream authenticated as another namespace, or to a router no Gateway selects', async () => {
    // ROOTCA too, so that a response arrives to look at.
    const names = ['ROOTCA', 'kubernetes://hello-cred'];
    const denied = () =>
      logRecords(fixture.logLines).filter(
        (r) => r.msg === 'SDS gateway credential not served' && r.code === 'MESHPILOT_ERR_SDS_DENIED',
      ).length;
    for (const [identity, labels] of [
      [{ namespace: 'default', serviceAccount: 'sleep' }, { istio: 'ingressgateway' }],
      [GATEWAY_IDENTITY, { istio: 'other' }],
    ] as const) {
      const before = denied();
      const client = await open(identity);
      client.send({ node: routerNode(labels), type_url: SECRET_TYPE, resource_names: names });
      const response = await client.responses.next(10_000);
      expect(response.resources.map((r) => String(r.name))).toEqual(['ROOTCA']);
      expect(denied()).toBeGreaterThan(before);
    }
  });
});

describe('Gateway credential Secrets', () => {
  const pem = (label: string) => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
  const data = (entries: Record<string, string>) => ({
    data: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  });

  it("reads Istio's key names (tls.crt / tls.key / ca.crt, cert / key / cacert) and prefers <name>-cacert for the CA", () => {
    const secrets = new Map([
      ['generic', reduceCredentialSecret(data({ cert: pem('CERTIFICATE'), key: pem('PRIVATE KEY') }))],
      ['generic-cacert', reduceCredentialSecret(data({ cacert: pem('CERTIFICATE') }))],
    ]);
    expect(credentialSecret('kubernetes://generic', 'ns', (n) => secrets.get(n)).ok).toBe(true);
    expect(credentialSecret('kubernetes://generic-cacert', 'ns', (n) => secrets.get(n)).ok).toBe(true);
  });

  it('names what is wrong with a malformed Secret, never its content', () => {
    const secrets = new Map([
      ['no-key', reduceCredentialSecret(data({ 'tls.crt': pem('CERTIFICATE') }))],
      ['bad-cert', reduceCredentialSecret(data({ 'tls.crt': 'secret-text', 'tls.key': pem('PRIVATE KEY') }))],
      ['no-ca', reduceCredentialSecret(data({ 'tls.crt': pem('CERTIFICATE'), 'tls.key': pem('PRIVATE KEY') }))],
    ]);
    const error = (name: string) => {
      const result = credentialSecret(name, 'ns', (n) => secrets.get(n));
      return result.ok ? 'ok' : result.error;
    };
    expect(error('kubernetes://no-key')).toBe('Secret ns/no-key needs tls.crt and tls.key (or cert and key)');
    expect(error('kubernetes://bad-cert')).toBe('Secret ns/bad-cert: the certificate is not a PEM certificate');
    expect(error('kubernetes://no-ca-cacert')).toBe('Secret ns/no-ca has no ca.crt or cacert');
    expect(error('kubernetes://absent')).toBe('Secret ns/absent not found');
  });
});
