import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeManifest, serviceManifests } from '../../e2e/support/mesh-fixture.ts';
import { remoteSecret } from '../../e2e/support/kube-sim-clusters.ts';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import type { RegistryChange } from '../registry/events.ts';
import type { KubeClusterSource } from '../registry/kube-cluster-source.ts';
import { KubeWatcher } from '../registry/kube-watcher.ts';
import { RemoteSecretsController, type KubeClusterRegistrar } from './remote-secrets.ts';
import { eventually } from '../../e2e/support/eventually.ts';

const logger = pino({ level: 'silent' });
const FAST_BACKOFF = { initialMs: 20, maxMs: 200, resetAfterMs: 60_000, jitter: 0.5 };

/** A pipeline stand-in: the sources it serves, every call, and the changes each source emitted. */
class FakeRegistrar implements KubeClusterRegistrar {
  readonly sources = new Map<string, KubeClusterSource>();
  readonly calls: string[] = [];
  readonly changes: RegistryChange[] = [];

  async addKubeCluster(source: KubeClusterSource): Promise<void> {
    this.calls.push(
      `add ${source.name} (${this.sources.has(source.name) ? 'replace' : 'new'}, ${source.store.counts().Pod} pods)`,
    );
    this.sources.set(source.name, source);
    await source.start((changes) => this.changes.push(...changes));
  }

  async removeKubeCluster(name: string): Promise<void> {
    this.calls.push(`remove ${name}`);
    const source = this.sources.get(name);
    this.sources.delete(name);
    await source?.stop();
  }

  podIps(name: string): string[] {
    return [...(this.sources.get(name)?.store.records('Pod').values() ?? [])].map((pod) => pod.ip ?? '').sort();
  }
}

function workload(tag: string, ip: string): Record<string, unknown>[] {
  return [
    nodeManifest({ name: `node-${tag}` }),
    ...serviceManifests({
      name: 'helloworld',
      namespace: 'sample',
      port: 5000,
      endpoints: [{ ip, pod: `pod-${tag}` }],
    }),
  ];
}

describe('RemoteSecretsController', () => {
  let holder: KubeSim;
  const remotes: KubeSim[] = [];
  let registrar: FakeRegistrar;
  let controller: RemoteSecretsController | undefined;

  const remote = async (tag: string, ip: string): Promise<KubeSim> => {
    const sim = await startKubeSim({ clusterName: tag });
    for (const object of workload(tag, ip)) sim.apply(object);
    remotes.push(sim);
    return sim;
  };

  const start = async (reserved: string[] = ['cluster-a']): Promise<RemoteSecretsController> => {
    controller = new RemoteSecretsController({
      configCluster: 'cluster-a',
      kubeconfig: { yaml: holder.kubeconfig },
      namespace: 'istio-system',
      registrar,
      reservedNames: new Set(reserved),
      createSource: (name, yaml) =>
        new KubeWatcher({
          name,
          kubeconfig: { yaml },
          source: 'remote-secret',
          logger,
          backoff: FAST_BACKOFF,
          settings: { resyncMs: 0 },
        }),
      logger,
      backoff: FAST_BACKOFF,
    });
    await controller.start();
    return controller;
  };

  beforeEach(async () => {
    holder = await startKubeSim({ clusterName: 'cluster-a' });
    registrar = new FakeRegistrar();
  });

  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    await Promise.all([...registrar.sources.values()].map((source) => source.stop()));
    await Promise.all([holder, ...remotes.splice(0)].map((sim) => sim.stop()));
  });

  it('adds the clusters of the secrets present at start, fully synced before they reach the pipeline', async () => {
    const b = await remote('b', '10.2.0.1');
    holder.apply(remoteSecret('istio-remote-secret-b', 'cluster-b', b.kubeconfig));
    // Not labelled: ignored.
    holder.apply({
      ...remoteSecret('unrelated', 'cluster-x', b.kubeconfig),
      metadata: { name: 'unrelated', namespace: 'istio-system' },
    });
    const c = await start();
    await c.settled();
    expect(registrar.calls).toEqual(['add cluster-b (new, 1 pods)']);
    expect(registrar.podIps('cluster-b')).toEqual(['10.2.0.1']);
    expect(registrar.sources.get('cluster-b')?.health()).toMatchObject({ source: 'remote-secret', state: 'synced' });
    expect([...c.clusters()]).toEqual([['cluster-b', 'istio-system/istio-remote-secret-b']]);
  });

  it('adds, replaces on a kubeconfig change, and removes on key or secret deletion, touching nothing else', async () => {
    const b = await remote('b', '10.2.0.1');
    const b2 = await remote('b2', '10.2.0.2');
    const d = await remote('d', '10.4.0.1');
    const c = await start(['cluster-a', 'cluster-c']);

    holder.apply(remoteSecret('istio-remote-secret-b', 'cluster-b', b.kubeconfig));
    await eventually(() => registrar.podIps('cluster-b').length === 1, 'cluster-b to be added');
    const first = registrar.sources.get('cluster-b');

    // Same cluster name, new kubeconfig (e.g. rotated credentials, here another API server): swapped in synced.
    holder.apply(remoteSecret('istio-remote-secret-b', 'cluster-b', b2.kubeconfig));
    await eventually(() => registrar.podIps('cluster-b')[0] === '10.2.0.2', 'cluster-b to be replaced');
    await c.settled();
    expect(registrar.calls).toEqual(['add cluster-b (new, 1 pods)', 'add cluster-b (replace, 1 pods)']);
    expect(registrar.sources.get('cluster-b')).not.toBe(first);
    await eventually(() => b.openWatchCount() === 0, 'the replaced source to stop watching its API server');

    // A second key in another secret, and a key naming a configured cluster (ignored).
    holder.apply({
      ...remoteSecret('istio-remote-secret-d', 'cluster-d', d.kubeconfig),
      data: {
        'cluster-d': Buffer.from(d.kubeconfig).toString('base64'),
        'cluster-c': Buffer.from(d.kubeconfig).toString('base64'),
      },
    });
    await eventually(() => registrar.podIps('cluster-d').length === 1, 'cluster-d to be added');
    await c.settled();
    expect(registrar.sources.has('cluster-c')).toBe(false);

    // Removing cluster-d's key leaves cluster-b alone; deleting cluster-b's secret removes it.
    holder.apply(remoteSecret('istio-remote-secret-d', 'cluster-other', d.kubeconfig));
    await eventually(
      () => !registrar.sources.has('cluster-d') && registrar.sources.has('cluster-other'),
      'cluster-d removed, cluster-other added',
    );
    holder.remove('v1', 'Secret', 'istio-system', 'istio-remote-secret-b');
    await eventually(() => !registrar.sources.has('cluster-b'), 'cluster-b removed');
    await c.settled();
    expect(registrar.calls.filter((call) => call.startsWith('remove'))).toEqual([
      'remove cluster-d',
      'remove cluster-b',
    ]);
    expect([...registrar.sources.keys()]).toEqual(['cluster-other']);
  });

  it('keeps its remote clusters while the secrets cluster is unreachable', async () => {
    const b = await remote('b', '10.2.0.1');
    holder.apply(remoteSecret('istio-remote-secret-b', 'cluster-b', b.kubeconfig));
    const c = await start();
    await c.settled();
    await holder.faults.stop();
    await eventually(() => c.error() !== undefined, 'the secret watch to fail');
    expect(c.error()).toMatch(/^cluster-a: (list|watch) secrets: /);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(registrar.calls).toEqual(['add cluster-b (new, 1 pods)']);
    expect(registrar.podIps('cluster-b')).toEqual(['10.2.0.1']);
    await holder.faults.restart();
    await eventually(() => c.error() === undefined, 'the secret watch to recover');
    await c.settled();
    expect(registrar.calls).toEqual(['add cluster-b (new, 1 pods)']);
  });

  it('keeps serving a remote cluster when its secret changes to a kubeconfig that cannot sync', async () => {
    const b = await remote('b', '10.2.0.1');
    const c = await start();
    holder.apply(remoteSecret('istio-remote-secret-b', 'cluster-b', b.kubeconfig));
    await eventually(() => registrar.podIps('cluster-b').length === 1, 'cluster-b to be added');
    const broken = b.kubeconfig.replace(/token: .*/, 'token: not-a-valid-token');
    expect(broken).not.toBe(b.kubeconfig);
    holder.apply(remoteSecret('istio-remote-secret-b', 'cluster-b', broken));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await c.settled();
    expect(registrar.calls).toEqual(['add cluster-b (new, 1 pods)']);
    expect(registrar.podIps('cluster-b')).toEqual(['10.2.0.1']);
  });
});
