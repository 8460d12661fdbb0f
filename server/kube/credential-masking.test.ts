import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeWatcher } from '../registry/kube-watcher.ts';
import { maskCredentials } from './kube-error.ts';
import { operatorKubeconfigPolicy } from './kubeconfig.ts';

function kubeconfig(server: string, user: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'c',
  });
}

/** Health and every log line of one watcher that tried its API server once. */
async function tryOnce(serverUrl: string, user: Record<string, unknown>): Promise<string> {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    }),
  );
  const watcher = new KubeWatcher({
    name: 'cluster-a',
    kubeconfig: { yaml: kubeconfig(serverUrl, user) },
    policy: operatorKubeconfigPolicy({ name: 'cluster-a', kubeconfigAllow: ['exec', 'auth-provider', 'files'] }),
    logger,
    backoff: { initialMs: 20, maxMs: 100, resetAfterMs: 60_000, jitter: 0 },
    listTimeoutMs: 2_000,
    settings: { resyncMs: 0 },
  });
  await watcher.start(() => {});
  await new Promise((resolve) => setTimeout(resolve, 200));
  await watcher.stop();
  return `${JSON.stringify(watcher.health())}\n${lines.join('')}`;
}

describe('credentials from a kubeconfig never reach errors, logs or /debug/clusterz', () => {
  let dir: string;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-credential-masking-'));
    server = createServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end('{"kind":"Status","message":"Unauthorized","code":401}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('masks a token read from a token file (its trailing newline makes client-node repeat the header)', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'file-token-secret-77\n');
    const seen = await tryOnce(url, { 'auth-provider': { name: 'file', config: { tokenFile } } });
    expect(seen).toContain('cluster-a');
    expect(seen).not.toContain('file-token-secret-77');
  });

  it("masks an exec plugin's token, which meshpilot never sees before the request", async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'exec-token-secret-88\n' },
    });
    const seen = await tryOnce(url, {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', `echo '${credential}'`] },
    });
    expect(seen).toContain('cluster-a');
    expect(seen).not.toContain('exec-token-secret-88');
  });

  it('masks known secrets first, then anything shaped like a bearer token or a JWT', () => {
    expect(maskCredentials('Bearer abc.def\n is not a legal HTTP header value')).toBe(
      'Bearer <redacted>\n is not a legal HTTP header value',
    );
    expect(maskCredentials('token eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl rejected')).toBe('token <redacted-jwt> rejected');
    expect(maskCredentials('got s3cr3t-value back', ['s3cr3t-value'])).toBe('got <redacted> back');
  });
});
