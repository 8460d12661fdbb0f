import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeWatcher } from '../registry/kube-watcher.ts';
import { operatorKubeconfigPolicy } from './kubeconfig.ts';
import { STRICT_KUBECONFIG_POLICY, type KubeconfigPolicy } from './kubeconfig-policy.ts';

const FAST_BACKOFF = { initialMs: 20, maxMs: 200, resetAfterMs: 60_000, jitter: 0.5 };

/** A loopback API server that answers nothing useful but records every Authorization header it receives. */
interface Recorder {
  readonly url: string;
  readonly authorizations: string[];
  readonly requests: () => number;
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const authorizations: string[] = [];
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests += 1;
    if (request.headers.authorization !== undefined) authorizations.push(request.headers.authorization);
    response.writeHead(403, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'forbidden', code: 403 }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

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

async function watchOnce(
  yaml: string,
  policy: KubeconfigPolicy,
  name = 'remote-1',
): Promise<{ watcher: KubeWatcher; refused: string[] }> {
  const refused: string[] = [];
  const watcher = new KubeWatcher({
    name,
    kubeconfig: { yaml },
    source: 'remote-secret',
    policy,
    onKubeconfigRefused: (kubeCluster) => refused.push(kubeCluster),
    logger: pino({ level: 'silent' }),
    backoff: FAST_BACKOFF,
    listTimeoutMs: 2_000,
    settings: { resyncMs: 0 },
  });
  await watcher.start(() => {});
  return { watcher, refused };
}

describe('kubeconfigs from remote secrets (no exec, no auth providers, no files)', () => {
  let dir: string;
  let recorder: Recorder;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-kubeconfig-refusal-'));
    recorder = await startRecorder();
  });
  afterAll(async () => {
    await recorder.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('never runs an exec credential plugin: the marker file the command would create does not appear', async () => {
    const marker = join(dir, 'exec-ran');
    const script = `touch '${marker}'; echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}'`;
    const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', script] };
    const { watcher, refused } = await watchOnce(kubeconfig(recorder.url, { exec }), STRICT_KUBECONFIG_POLICY);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await watcher.stop();
    expect(existsSync(marker)).toBe(false);
    expect(recorder.authorizations).not.toContain('Bearer from-exec');
    const health = watcher.health();
    expect(health.state).toBe('unreachable');
    expect(health.lastError).toContain('MESHPILOT_ERR_KUBECONFIG_REFUSED');
    expect(health.lastError).toContain('users[0].user.exec');
    expect(refused).toEqual(['remote-1']);
  });

  it('never reads a tokenFile of an auth provider: the file is not sent as a bearer token', async () => {
    const tokenFile = join(dir, 'host-secret-token');
    await writeFile(tokenFile, 'host-file-secret-0123456789');
    const before = recorder.requests();
    const { watcher, refused } = await watchOnce(
      kubeconfig(recorder.url, { 'auth-provider': { name: 'file', config: { tokenFile } } }),
      STRICT_KUBECONFIG_POLICY,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await watcher.stop();
    expect(recorder.authorizations.some((value) => value.includes('host-file-secret'))).toBe(false);
    expect(recorder.requests()).toBe(before);
    expect(watcher.health().lastError).toContain('users[0].user.auth-provider');
    expect(watcher.health().lastError).not.toContain('host-file-secret');
    expect(refused).toEqual(['remote-1']);
  });

  it('refuses certificate and key files and unknown fields, naming each path', async () => {
    const { watcher } = await watchOnce(
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: recorder.url, 'certificate-authority': '/etc/hostname' } }],
        users: [{ name: 'u', user: { token: 't0ken-value', 'client-key': '/etc/hostname', surprise: true } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'c',
      }),
      STRICT_KUBECONFIG_POLICY,
    );
    await watcher.stop();
    const error = watcher.health().lastError ?? '';
    expect(error).toContain('clusters[0].cluster.certificate-authority');
    expect(error).toContain('users[0].user.client-key');
    expect(error).toContain('users[0].user.surprise (unknown field)');
    expect(error).not.toContain('t0ken-value');
  });

  it('leaves a kube cluster with inline credentials alone: it reaches its API server', async () => {
    const before = recorder.authorizations.length;
    const { watcher, refused } = await watchOnce(
      kubeconfig(recorder.url, { token: 'inline-token' }),
      STRICT_KUBECONFIG_POLICY,
      'remote-2',
    );
    await watcher.stop();
    expect(recorder.authorizations.slice(before)).toContain('Bearer inline-token');
    expect(watcher.health().lastError ?? '').not.toContain('REFUSED');
    expect(refused).toEqual([]);
  });

  it("lets the operator's own kubeconfig use an auth provider's tokenFile when clusters[].kubeconfigAllow says so", async () => {
    const tokenFile = join(dir, 'operator-token');
    await writeFile(tokenFile, 'operator-file-token');
    const before = recorder.authorizations.length;
    const { watcher, refused } = await watchOnce(
      kubeconfig(recorder.url, { 'auth-provider': { name: 'file', config: { tokenFile } } }),
      operatorKubeconfigPolicy({ name: 'cluster-a', kubeconfigAllow: ['auth-provider', 'files'] }),
      'cluster-a',
    );
    await watcher.stop();
    expect(recorder.authorizations.slice(before)).toContain('Bearer operator-file-token');
    expect(refused).toEqual([]);
  });
});
