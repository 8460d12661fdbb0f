import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { parse } from 'yaml';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { nodeManifest, serviceManifests } from '../e2e/support/mesh-fixture.ts';
import { startKubeSim, type KubeSim } from '../kube-sim/index.ts';
import type { KubeClusterSource } from '../server/registry/kube-cluster-source.ts';
import { KubeWatcher } from '../server/registry/kube-watcher.ts';
import { RemoteSecretsController } from '../server/kube/remote-secrets.ts';
import {
  createRemoteSecret,
  REMOTE_SECRET_FALLBACK_WARNING,
  runCreateRemoteSecret,
  tokenSecretName,
  type RemoteSecretOptions,
} from './create-remote-secret.ts';
import type { MemberClusterApi, TokenSecret } from './member-cluster-api.ts';

interface SecretDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  data: Record<string, string>;
}

function sink(): { write(text: string): void; text: () => string } {
  let text = '';
  return { write: (chunk: string) => void (text += chunk), text: () => text };
}

const secretKubeconfig = (yaml: string, name: string): string =>
  Buffer.from((parse(yaml) as SecretDoc).data[name] ?? '', 'base64').toString('utf8');

async function serviceNames(kubeconfigYaml: string): Promise<string[]> {
  const config = new KubeConfig();
  config.loadFromString(kubeconfigYaml);
  const list = await config.makeApiClient(CoreV1Api).listServiceForAllNamespaces();
  return list.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`).sort();
}

describe('meshpilot create-remote-secret against kube-sim', () => {
  let member: KubeSim;
  let dir: string;
  const extraSims: KubeSim[] = [];

  beforeAll(async () => {
    member = await startKubeSim({ clusterName: 'member' });
    member.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    for (const object of [
      nodeManifest({ name: 'node-1' }),
      ...serviceManifests({
        name: 'helloworld',
        namespace: 'sample',
        port: 5000,
        endpoints: [{ ip: '10.1.0.5', pod: 'hw-0' }],
      }),
    ])
      member.apply(object);
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-remote-secret-'));
  });
  afterAll(async () => {
    await member.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(extraSims.splice(0).map((sim) => sim.stop()));
  });

  it('falls back (auto) to the kubeconfig credentials with a coded warning, printing an Istio remote secret whose kubeconfig lists Services', async () => {
    const kubeconfig = join(dir, 'read-only.kubeconfig');
    await member.writeKubeconfig(kubeconfig, member.readOnlyToken);
    const stdout = sink();
    const stderr = sink();
    const code = await runCreateRemoteSecret(
      { kubeconfig, name: 'cluster-b', namespace: 'istio-system', serviceAccount: 'meshpilot-reader', auth: 'auto' },
      stdout,
      stderr,
    );
    expect(stderr.text()).toContain(REMOTE_SECRET_FALLBACK_WARNING);
    expect(code).toBe(0);
    const secret = parse(stdout.text()) as SecretDoc;
    expect(secret).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'istio-remote-secret-cluster-b',
        namespace: 'istio-system',
        labels: { 'istio/multiCluster': 'true' },
        annotations: { 'networking.istio.io/cluster': 'cluster-b' },
      },
    });
    expect(Object.keys(secret.data)).toEqual(['cluster-b']);
    const remoteKubeconfig = secretKubeconfig(stdout.text(), 'cluster-b');
    expect((parse(remoteKubeconfig) as { users: { user: { token: string } }[] }).users[0]?.user.token).toBe(
      member.readOnlyToken,
    );
    expect(await serviceNames(remoteKubeconfig)).toContain('sample/helloworld');
  });

  it('uses a service-account token Secret once a token controller fills it (the test plays the controller); that token lists Services', async () => {
    const kubeconfig = join(dir, 'admin.kubeconfig');
    await member.writeKubeconfig(kubeconfig);
    const saToken = 'reader-token-from-the-token-controller';
    member.registerServiceAccountToken(saToken, 'istio-system', 'meshpilot-reader', 'read-only');
    const controller = setInterval(() => {
      const pending = member.get('v1', 'Secret', 'istio-system', tokenSecretName('meshpilot-reader'));
      if (pending !== undefined && (pending as { data?: Record<string, string> }).data?.['token'] === undefined) {
        member.apply({
          ...pending,
          data: {
            token: Buffer.from(saToken).toString('base64'),
            'ca.crt': Buffer.from(member.caCertPem).toString('base64'),
          },
        });
      }
    }, 20);
    try {
      const stdout = sink();
      const stderr = sink();
      expect(
        await runCreateRemoteSecret(
          {
            kubeconfig,
            name: 'member',
            namespace: 'istio-system',
            serviceAccount: 'meshpilot-reader',
            auth: 'secret',
            tokenWaitMs: 5_000,
          },
          stdout,
          stderr,
        ),
      ).toBe(0);
      expect(stderr.text()).toBe('');
      const remoteKubeconfig = secretKubeconfig(stdout.text(), 'member');
      expect(remoteKubeconfig).toContain(saToken);
      expect(remoteKubeconfig).not.toContain(member.adminToken);
      expect(await serviceNames(remoteKubeconfig)).toContain('sample/helloworld');
    } finally {
      clearInterval(controller);
    }
  });

  it('with --auth secret and no token controller: exits 1 naming the unfilled Secret, and removes it', async () => {
    const sim = await startKubeSim({ clusterName: 'lonely' });
    sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    extraSims.push(sim);
    const kubeconfig = join(dir, 'lonely.kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const stderr = sink();
    expect(
      await runCreateRemoteSecret(
        {
          kubeconfig,
          name: 'lonely',
          namespace: 'istio-system',
          serviceAccount: 'meshpilot-reader',
          auth: 'secret',
          tokenWaitMs: 300,
        },
        sink(),
        stderr,
      ),
    ).toBe(1);
    expect(stderr.text()).toMatch(/MESHPILOT_ERR_REMOTE_SECRET_NO_TOKEN.*meshpilot-reader-remote-secret-token/);
    expect(sim.get('v1', 'Secret', 'istio-system', tokenSecretName('meshpilot-reader'))).toBeUndefined();
  });

  it('rejects a bad cluster name and an unreadable kubeconfig with coded errors', async () => {
    const kubeconfig = join(dir, 'admin.kubeconfig');
    await member.writeKubeconfig(kubeconfig);
    const bad = sink();
    expect(
      await runCreateRemoteSecret(
        { kubeconfig, name: 'Cluster_B', namespace: 'istio-system', serviceAccount: 'r', auth: 'kubeconfig' },
        sink(),
        bad,
      ),
    ).toBe(1);
    expect(bad.text()).toMatch(/MESHPILOT_ERR_REMOTE_SECRET_INPUT.*--name "Cluster_B" must be a DNS label/);
    const missing = sink();
    expect(
      await runCreateRemoteSecret(
        {
          kubeconfig: join(dir, 'nope'),
          name: 'b',
          namespace: 'istio-system',
          serviceAccount: 'r',
          auth: 'kubeconfig',
        },
        sink(),
        missing,
      ),
    ).toBe(1);
    expect(missing.text()).toContain('MESHPILOT_ERR_REMOTE_SECRET_INPUT');
  });

  it("is loaded by meshpilot's remote-secrets watcher, which then syncs the member cluster through it", async () => {
    const configCluster = await startKubeSim({ clusterName: 'config' });
    extraSims.push(configCluster);
    const kubeconfig = join(dir, 'member.kubeconfig');
    await member.writeKubeconfig(kubeconfig, member.readOnlyToken);
    const stdout = sink();
    expect(
      await runCreateRemoteSecret(
        {
          kubeconfig,
          name: 'cluster-b',
          namespace: 'istio-system',
          serviceAccount: 'meshpilot-reader',
          auth: 'kubeconfig',
        },
        stdout,
        sink(),
      ),
    ).toBe(0);
    configCluster.apply(parse(stdout.text()));

    const sources = new Map<string, KubeClusterSource>();
    const logger = pino({ level: 'silent' });
    const controller = new RemoteSecretsController({
      configCluster: 'config',
      kubeconfig: { yaml: configCluster.kubeconfig },
      namespace: 'istio-system',
      registrar: {
        addKubeCluster: async (source) => {
          sources.set(source.name, source);
          await source.start(() => undefined);
        },
        removeKubeCluster: async (name) => {
          await sources.get(name)?.stop();
          sources.delete(name);
        },
      },
      reservedNames: new Set(['config']),
      createSource: (name, yaml) =>
        new KubeWatcher({ name, kubeconfig: { yaml }, source: 'remote-secret', logger, settings: { resyncMs: 0 } }),
      logger,
    });
    try {
      await controller.start();
      const deadline = Date.now() + 10_000;
      while (sources.get('cluster-b')?.health().state !== 'synced' && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const health = sources.get('cluster-b')?.health();
      expect(health?.state).toBe('synced');
      expect(health?.objects['Service']).toBe(1);
    } finally {
      await controller.stop();
      await Promise.all([...sources.values()].map((source) => source.stop()));
    }
  });
});

/** A member API that serves ServiceAccounts, to drive the paths kube-sim cannot. */
function fakeApi(
  overrides: Partial<MemberClusterApi> & { resources?: string[] },
): MemberClusterApi & { created: string[] } {
  const created: string[] = [];
  return {
    created,
    coreResources: async () => new Set(overrides.resources ?? ['serviceaccounts', 'serviceaccounts/token', 'secrets']),
    serviceAccountExists: overrides.serviceAccountExists ?? (async () => true),
    readTokenSecret: overrides.readTokenSecret ?? (async (): Promise<TokenSecret | undefined> => undefined),
    createTokenSecret: overrides.createTokenSecret ?? (async (_ns, name) => void created.push(name)),
    deleteSecret: overrides.deleteSecret ?? (async () => undefined),
    requestToken:
      overrides.requestToken ?? (async () => ({ token: 'bound-token', expiresAt: new Date('2030-01-01T00:00:00Z') })),
  };
}

describe('createRemoteSecret token strategy', () => {
  const options: RemoteSecretOptions = {
    name: 'cluster-b',
    namespace: 'istio-system',
    serviceAccount: 'meshpilot-reader',
    auth: 'auto',
    tokenWaitMs: 50,
  };
  let config: KubeConfig;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-remote-secret-fake-'));
    const path = join(dir, 'kubeconfig');
    await writeFile(
      path,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: Q0E=}}]\nusers: [{name: u, user: {token: admin}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n',
    );
    config = new KubeConfig();
    config.loadFromFile(path);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses when the API serves ServiceAccounts but the reader does not exist', async () => {
    await expect(
      createRemoteSecret(config, fakeApi({ serviceAccountExists: async () => false }), options, () => undefined),
    ).rejects.toThrow(/meshpilot-reader does not exist.*deploy\/member-cluster/);
  });

  it('falls back from an unfilled token Secret to the TokenRequest API, warning when the token expires', async () => {
    const warnings: string[] = [];
    const api = fakeApi({});
    const yaml = await createRemoteSecret(config, api, { ...options, server: 'https://api.example:6443' }, (text) =>
      warnings.push(text),
    );
    expect(api.created).toEqual(['meshpilot-reader-remote-secret-token']);
    expect(warnings.join('')).toContain('expires at 2030-01-01T00:00:00.000Z');
    const kubeconfig = parse(secretKubeconfig(yaml, 'cluster-b')) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    expect(kubeconfig.users[0]?.user).toEqual({ token: 'bound-token' });
    expect(kubeconfig.clusters[0]?.cluster).toEqual({
      server: 'https://api.example:6443',
      'certificate-authority-data': 'Q0E=',
    });
  });

  it('prefers a filled token Secret and its ca.crt, creating nothing when it already exists', async () => {
    const api = fakeApi({
      readTokenSecret: async () => ({ token: 'long-lived', caPem: 'PEM' }),
      requestToken: async () => Promise.reject(new Error('must not be called')),
    });
    const yaml = await createRemoteSecret(config, api, options, () => undefined);
    const kubeconfig = parse(secretKubeconfig(yaml, 'cluster-b')) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    expect(api.created).toEqual([]);
    expect(kubeconfig.users[0]?.user).toEqual({ token: 'long-lived' });
    expect(kubeconfig.clusters[0]?.cluster['certificate-authority-data']).toBe(Buffer.from('PEM').toString('base64'));
  });
});
