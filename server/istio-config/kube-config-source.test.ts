import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../e2e/support/mesh-fixture.ts';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { KubeConfigSource } from './kube-config-source.ts';
import { eventually } from '../../e2e/support/eventually.ts';

const logger = pino({ level: 'silent' });
const FAST = { initialMs: 20, maxMs: 100, resetAfterMs: 60_000, jitter: 0 };

describe('KubeConfigSource', () => {
  let source: KubeConfigSource | undefined;
  let sim: KubeSim | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  afterEach(async () => {
    await source?.stop();
    await sim?.stop();
    await dir?.remove();
    source = undefined;
    sim = undefined;
    dir = undefined;
  });

  it('reports a kubeconfig it cannot load, with a stable code, instead of throwing', async () => {
    source = new KubeConfigSource({ kubeCluster: 'cfg', kubeconfigPath: '/nonexistent/kubeconfig', logger });
    await source.start(() => {});
    expect(source.health()).toMatchObject({
      source: 'cluster cfg',
      state: 'unreachable',
      lastError: expect.stringContaining(
        'MESHPILOT_ERR_KUBECONFIG_INVALID: cannot use kubeconfig /nonexistent/kubeconfig',
      ),
    });
    expect(source.current()).toEqual([]);
  });

  it('starts while the API server is down, then syncs once it is back', async () => {
    dir = await tempDir('istio-kube-source');
    sim = await startKubeSim({ clusterName: 'cfg' });
    const kubeconfigPath = join(dir.path, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfigPath);
    sim.apply({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'r', namespace: 'ns' },
      spec: { host: 'r' },
    });
    await sim.faults.stop();
    let changes = 0;
    source = new KubeConfigSource({ kubeCluster: 'cfg', kubeconfigPath, logger, backoff: FAST });
    await source.start(() => (changes += 1));
    expect(source.health().state).toBe('unreachable');
    expect(source.health().lastError).toMatch(/ECONNREFUSED/);
    await sim.faults.restart();
    await eventually(() => source?.health().state === 'synced', 'the source to sync after the API server came back');
    expect(source.current().map((o) => `${o.kind} ${o.namespace}/${o.name} ${o.origin.type}`)).toEqual([
      'DestinationRule ns/r kube',
    ]);
    expect(changes).toBeGreaterThan(0);
  });

  it("as a member kube cluster, watches only its WorkloadEntries, scoped to it (istiod's cross-cluster WorkloadEntries)", async () => {
    dir = await tempDir('istio-kube-member');
    sim = await startKubeSim({ clusterName: 'c2' });
    const kubeconfigPath = join(dir.path, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfigPath);
    sim.apply({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'r', namespace: 'ns' },
      spec: { host: 'r' },
    });
    sim.apply({
      apiVersion: 'networking.istio.io/v1',
      kind: 'WorkloadEntry',
      metadata: { name: 'vm', namespace: 'ns' },
      spec: { address: '10.60.0.1', labels: { app: 'vm' } },
    });
    source = new KubeConfigSource({ kubeCluster: 'c2', kubeconfigPath, logger, backoff: FAST, member: true });
    await source.start(() => {});
    await eventually(() => source?.health().state === 'synced', 'the member source to sync');
    expect(source.health().source).toBe('WorkloadEntries of cluster c2');
    expect(
      source
        .current()
        .map((o) => ({ kind: o.kind, name: `${o.namespace}/${o.name}`, origin: o.origin, scope: o.scope })),
    ).toEqual([{ kind: 'WorkloadEntry', name: 'ns/vm', origin: { type: 'kube', kubeCluster: 'c2' }, scope: 'c2' }]);
    expect(source.unsupported()).toEqual([]);
  });
});
