/**
 * Item 7 of the workload-identity issue: keys and tokens never reach logs, debug output or error
 * messages. Runs the SDS, CSR and agent flows with every log line, error text, config dump and the
 * agent's stdout/stderr captured, then scans all of it for PEM private-key markers, the tokens, and
 * base64 fragments of every private key that was issued or used.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsTestClient, node } from '../../e2e/support/ads-client.ts';
import { SECRET_TYPE } from '../../protos/type-urls.ts';
import { configDump } from '../admin/config-dump.ts';
import { createCertificate, createKeyAndCsr } from '../../agent/csr-client.ts';
import { WorkloadAgent } from '../../agent/workload-agent.ts';
import { errorMessage } from '../../common/error-message.ts';
import { makeTempDir } from '../../pki/test-support.ts';
import { bearer, startSecurityFixture, type SecurityFixture } from './security-test-support.ts';

const BIN = resolve(import.meta.dirname, '../../bin/meshpilot-ts.js');
const TOKENS = ['scan-token-sa1-Zq81', 'scan-token-sa2-Mw07', 'scan-unknown-token-Pk33'];

function runCli(args: readonly string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', fail);
    child.on('close', () => {
      clearTimeout(timer);
      done(output);
    });
  });
}

/** Base64 windows of a PEM key body: any 20 consecutive characters of it would betray the key. */
function keyFragments(pem: string): string[] {
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const fragments: string[] = [];
  for (let offset = 0; offset + 20 <= body.length; offset += 10) fragments.push(body.slice(offset, offset + 20));
  return fragments;
}

describe('no keys or tokens in logs, errors or debug output', () => {
  let fixture: SecurityFixture;
  let temp: { dir: string; cleanup: () => Promise<void> };
  const output: string[] = [];
  const privateKeys: string[] = [];

  beforeAll(async () => {
    // Short enough to see a rotation within the test, long enough that the 15012 serving certificate (same
    // lifetime) cannot expire before its renewal on a loaded machine (2 s did: "certificate has expired").
    fixture = await startSecurityFixture({ workloadCertTtlMs: 6_000 });
    temp = await makeTempDir();
    fixture.kubeSim.registerServiceAccountToken(TOKENS[0] ?? '', 'ns1', 'sa1');
    fixture.kubeSim.registerServiceAccountToken(TOKENS[1] ?? '', 'ns1', 'sa2');
  });

  afterAll(async () => {
    await fixture.stop();
    await temp.cleanup();
  });

  it('runs SDS, CSR and agent flows and finds no secret in anything they printed', async () => {
    const clients: AdsTestClient[] = [];
    try {
      // SDS: certificate-authenticated, token-authenticated and plaintext streams, across a rotation.
      const certificate = await fixture.security.ca.issueWorkloadCertificate({
        namespace: 'ns1',
        serviceAccount: 'sa1',
      });
      privateKeys.push(certificate.privateKeyPem);
      const streams = [
        new AdsTestClient(fixture.tlsAddress, 'sotw', {
          credentials: await fixture.channelCredentials(),
          metadata: bearer(TOKENS[1] ?? ''),
        }),
        new AdsTestClient(fixture.tlsAddress, 'delta', {
          credentials: await fixture.channelCredentials({ namespace: 'ns1', serviceAccount: 'sa1' }),
        }),
        new AdsTestClient(fixture.plaintextAddress, 'sotw'),
        new AdsTestClient(fixture.tlsAddress, 'sotw', {
          credentials: await fixture.channelCredentials(),
          metadata: bearer(TOKENS[2] ?? ''),
        }),
      ];
      clients.push(...streams);
      const [sotwToken, deltaCert, plaintext, rejected] = streams as [
        AdsTestClient,
        AdsTestClient,
        AdsTestClient,
        AdsTestClient,
      ];
      for (const client of [sotwToken, plaintext, rejected]) {
        client.send({
          node: node('sidecar~10.0.0.9~scan.ns1~ns1.svc.cluster.local', { SERVICE_ACCOUNT: 'sa1' }),
          type_url: SECRET_TYPE,
          resource_names: ['default', 'ROOTCA', 'other'],
        });
      }
      deltaCert.send({
        node: node('sidecar~10.0.0.8~scan2.ns1~ns1.svc.cluster.local', { SERVICE_ACCOUNT: 'sa2' }),
        type_url: SECRET_TYPE,
        resource_names_subscribe: ['default', 'ROOTCA'],
      });
      output.push((await rejected.status()).details);

      const received: string[] = [];
      for (let index = 0; index < 8 && received.length < 2; index += 1) {
        const response = await sotwToken.responses.next(10_000);
        sotwToken.send({
          type_url: SECRET_TYPE,
          version_info: response.version_info,
          response_nonce: response.nonce,
          resource_names: ['default', 'ROOTCA', 'other'],
        });
        for (const resource of response.resources) {
          const key =
            (resource.tls_certificate as { private_key?: { inline_bytes?: string } } | undefined)?.private_key
              ?.inline_bytes ?? '';
          if (key !== '') received.push(Buffer.from(key, 'base64').toString('utf8'));
        }
      }
      for (let index = 0; index < 4; index += 1) {
        const response = await deltaCert.deltaResponses.next(5_000);
        for (const { resource } of response.resources) {
          const key =
            (resource.tls_certificate as { private_key?: { inline_bytes?: string } } | undefined)?.private_key
              ?.inline_bytes ?? '';
          if (key !== '') received.push(Buffer.from(key, 'base64').toString('utf8'));
        }
        if (received.length >= 3) break;
      }
      expect(received.length).toBeGreaterThanOrEqual(3);
      privateKeys.push(...received);
      for (const connection of fixture.xds.connected()) output.push(JSON.stringify(configDump(connection)));

      // CSR: success, unknown token, another identity.
      const { csrPem, privateKeyPem } = await createKeyAndCsr('spiffe://cluster.local/ns/ns1/sa/sa2');
      privateKeys.push(privateKeyPem);
      await createCertificate({
        caAddress: fixture.tlsAddress,
        rootPem: fixture.security.ca.rootCertPem(),
        authentication: { kind: 'token', token: TOKENS[1] ?? '' },
        csrPem,
        ttlSeconds: 60,
      });
      for (const token of [TOKENS[2] ?? '', TOKENS[0] ?? '']) {
        try {
          await createCertificate({
            caAddress: fixture.tlsAddress,
            rootPem: fixture.security.ca.rootCertPem(),
            authentication: { kind: 'token', token },
            csrPem,
            ttlSeconds: 60,
          });
        } catch (error: unknown) {
          output.push(errorMessage(error));
        }
      }

      // Agent: in process across a renewal, and the CLI with --once (stdout and stderr).
      const tokenFile = join(temp.dir, 'token');
      const rootFile = join(temp.dir, 'root.pem');
      await writeFile(tokenFile, TOKENS[0] ?? '');
      await writeFile(rootFile, fixture.security.ca.rootCertPem());
      const agentLog: string[] = [];
      const agent = new WorkloadAgent({
        workload: {
          namespace: 'ns1',
          serviceAccount: 'sa1',
          podName: 'scan',
          podIp: '10.0.0.9',
          kubeCluster: 'cluster-a',
          domainSuffix: 'cluster.local',
        },
        trustDomain: 'cluster.local',
        caAddress: fixture.tlsAddress,
        xdsAddress: fixture.plaintextAddress,
        xdsCredentials: 'insecure',
        outDir: join(temp.dir, 'agent'),
        tokenFile,
        rootCertFile: rootFile,
        trustOnFirstUse: false,
        ttlSeconds: 2,
        serverName: 'localhost',
        logger: pino({ level: 'trace' }, { write: (line: string) => void agentLog.push(line) }),
      });
      await agent.start();
      privateKeys.push(await readFile(join(temp.dir, 'agent', 'key.pem'), 'utf8'));
      await agent.renew();
      agent.stop();
      privateKeys.push(await readFile(join(temp.dir, 'agent', 'key.pem'), 'utf8'));
      output.push(...agentLog);

      const cliOutDir = join(temp.dir, 'cli');
      const agentArgs = [
        'agent',
        '--xds-address',
        fixture.plaintextAddress,
        '--ca-address',
        fixture.tlsAddress,
        '--server-name',
        'localhost',
        '--token-file',
        tokenFile,
        '--root-cert-file',
        rootFile,
        '--namespace',
        'ns1',
        '--service-account',
        'sa1',
        '--pod-name',
        'scan',
        '--pod-ip',
        '10.0.0.9',
        '--cluster-id',
        'cluster-a',
        '--out-dir',
        cliOutDir,
        '--ttl',
        '1h',
        '--once',
        '--log-level',
        'trace',
      ];
      output.push(await runCli(agentArgs));
      privateKeys.push(await readFile(join(cliOutDir, 'key.pem'), 'utf8'));
      const badTokenFile = join(temp.dir, 'bad-token');
      await writeFile(badTokenFile, TOKENS[2] ?? '');
      output.push(await runCli(agentArgs.map((arg) => (arg === tokenFile ? badTokenFile : arg))));
      privateKeys.push(await readFile(join(fixture.caDir, 'ca-key.pem'), 'utf8'));
    } finally {
      for (const client of clients) client.close();
    }

    output.push(...fixture.logLines);
    const everything = output.join('\n');
    // The flows really ran and printed something about each of them.
    expect(everything).toContain('MESHPILOT_ERR_SDS_DENIED');
    expect(everything).toContain('CreateCertificate: certificate issued');
    expect(everything).toContain('workload certificate written');
    expect(everything).toContain('MESHPILOT_ERR_CSR_IDENTITY');

    expect(everything).not.toMatch(/PRIVATE KEY/);
    for (const token of TOKENS) expect(everything).not.toContain(token);
    const keys = privateKeys.filter((key) => key !== '');
    expect(keys.length).toBeGreaterThanOrEqual(8);
    for (const key of keys) {
      for (const fragment of keyFragments(key))
        expect(everything.includes(fragment), `a fragment of a private key appears in the output`).toBe(false);
    }
  }, 60_000);
});
