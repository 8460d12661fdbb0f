import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBootstrapConfig } from '@grpc/grpc-js-xds/build/src/xds-bootstrap.js';
import { describeCertificate } from '../pki/describe.ts';
import { makeTempDir } from '../pki/test-support.ts';
import { startSecurityFixture, type SecurityFixture } from '../server/security/security-test-support.ts';
import { WorkloadAgent } from './workload-agent.ts';

const BIN = resolve(import.meta.dirname, '../bin/meshpilot-ts.js');
const SA1 = 'spiffe://cluster.local/ns/ns1/sa/sa1';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: readonly string[]): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('meshpilot agent', () => {
  let fixture: SecurityFixture;
  let temp: { dir: string; cleanup: () => Promise<void> };
  let tokenFile: string;
  let rootFile: string;

  beforeAll(async () => {
    fixture = await startSecurityFixture();
    temp = await makeTempDir();
    tokenFile = join(temp.dir, 'token');
    rootFile = join(temp.dir, 'mesh-root.pem');
    fixture.kubeSim.registerServiceAccountToken('agent-token-ns1-sa1', 'ns1', 'sa1');
    await writeFile(tokenFile, 'agent-token-ns1-sa1\n');
    await writeFile(rootFile, fixture.security.ca.rootCertPem());
  });

  afterAll(async () => {
    await fixture.stop();
    await temp.cleanup();
  });

  const baseArgs = (outDir: string): string[] => [
    'agent',
    '--xds-address',
    fixture.plaintextAddress,
    '--ca-address',
    fixture.tlsAddress,
    '--server-name',
    'localhost',
    '--token-file',
    tokenFile,
    '--namespace',
    'ns1',
    '--service-account',
    'sa1',
    '--pod-name',
    'app-1',
    '--pod-ip',
    '10.1.0.7',
    '--cluster-id',
    'cluster-a',
    '--locality',
    'region1/zone1/sub1',
    '--out-dir',
    outDir,
    '--ttl',
    '1h',
    '--once',
  ];

  it('--once writes cert, key, root and a grpc-js-xds bootstrap for the workload identity', async () => {
    const outDir = join(temp.dir, 'once');
    const result = await runCli([...baseArgs(outDir), '--root-cert-file', rootFile]);
    expect(result.stderr).toContain('workload certificate written');
    expect(result.code).toBe(0);

    const chainPem = await readFile(join(outDir, 'cert-chain.pem'), 'utf8');
    const keyPem = await readFile(join(outDir, 'key.pem'), 'utf8');
    expect(describeCertificate(chainPem).subjectAltNames).toEqual([`URI:${SA1}`]);
    expect(await readFile(join(outDir, 'root-cert.pem'), 'utf8')).toBe(fixture.security.ca.rootCertPem());
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    expect(
      Buffer.from(fromKey).equals(Buffer.from(createPublicKey(chainPem).export({ type: 'spki', format: 'der' }))),
    ).toBe(true);
    expect((await stat(join(outDir, 'key.pem'))).mode & 0o077).toBe(0);

    const bootstrap = JSON.parse(await readFile(join(outDir, 'grpc-bootstrap.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const parsed = validateBootstrapConfig(bootstrap);
    expect(parsed.node.id).toBe('sidecar~10.1.0.7~app-1.ns1~ns1.svc.cluster.local');
    expect(parsed.node.locality).toEqual({ region: 'region1', zone: 'zone1', sub_zone: 'sub1' });
    expect(parsed.xdsServers[0]?.server_uri).toBe(fixture.plaintextAddress);
    expect(parsed.serverListenerResourceNameTemplate).toBe('xds.istio.io/grpc/lds/inbound/%s');
    expect(parsed.certificateProviders['default']).toEqual({
      pluginName: 'file_watcher',
      config: {
        certificateFile: join(outDir, 'cert-chain.pem'),
        privateKeyFile: join(outDir, 'key.pem'),
        caCertificateFile: join(outDir, 'root-cert.pem'),
        refreshIntervalMs: 300_000,
      },
    });
    const metadata = (bootstrap.node as { metadata: Record<string, string> }).metadata;
    expect(metadata).toMatchObject({
      GENERATOR: 'grpc',
      CLUSTER_ID: 'cluster-a',
      NAMESPACE: 'ns1',
      SERVICE_ACCOUNT: 'sa1',
    });
  }, 30_000);

  it('trusts the returned root only with --trust-on-first-use, and says why otherwise', async () => {
    const refused = await runCli(baseArgs(join(temp.dir, 'no-root')));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('MESHPILOT_ERR_AGENT_ROOT');

    const outDir = join(temp.dir, 'tofu');
    const accepted = await runCli([...baseArgs(outDir), '--trust-on-first-use']);
    expect(accepted.code).toBe(0);
    expect(await readFile(join(outDir, 'root-cert.pem'), 'utf8')).toBe(fixture.security.ca.rootCertPem());
  }, 30_000);

  it('fails with UNAUTHENTICATED for a token the kube cluster does not know', async () => {
    const badToken = join(temp.dir, 'bad-token');
    await writeFile(badToken, 'unknown-agent-token-xyz');
    const args = baseArgs(join(temp.dir, 'bad'));
    args[args.indexOf(tokenFile)] = badToken;
    const result = await runCli([...args, '--root-cert-file', rootFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('UNAUTHENTICATED');
    expect(result.stderr + result.stdout).not.toContain('unknown-agent-token-xyz');
  }, 30_000);

  it('renews the certificate before it expires and rewrites the files', async () => {
    const outDir = join(temp.dir, 'rotating');
    const logLines: string[] = [];
    const agent = new WorkloadAgent({
      workload: {
        namespace: 'ns1',
        serviceAccount: 'sa1',
        podName: 'app-1',
        podIp: '10.1.0.7',
        kubeCluster: 'cluster-a',
        domainSuffix: 'cluster.local',
      },
      trustDomain: 'cluster.local',
      caAddress: fixture.tlsAddress,
      xdsAddress: fixture.plaintextAddress,
      xdsCredentials: 'insecure',
      outDir,
      tokenFile,
      rootCertFile: rootFile,
      trustOnFirstUse: false,
      ttlSeconds: 2,
      serverName: 'localhost',
      logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
    });
    try {
      const first = await agent.start();
      const firstPem = await readFile(join(outDir, 'cert-chain.pem'), 'utf8');
      let renewedPem = firstPem;
      for (let attempt = 0; attempt < 60 && renewedPem === firstPem; attempt += 1) {
        await new Promise((done) => setTimeout(done, 100));
        renewedPem = await readFile(join(outDir, 'cert-chain.pem'), 'utf8');
      }
      expect(renewedPem).not.toBe(firstPem);
      expect(Date.now()).toBeLessThan(first.notAfter.getTime());
      expect(describeCertificate(renewedPem).subjectAltNames).toEqual([`URI:${SA1}`]);
    } finally {
      agent.stop();
    }
  }, 30_000);
});
