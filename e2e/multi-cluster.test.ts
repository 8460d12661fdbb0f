import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClusterHealth } from '../server/registry/kube-cluster-source.ts';
import { EdsFollower } from './support/eds-follower.ts';
import {
  helloworld,
  HELLO_ENVOY_CLUSTER,
  HELLO_NAMESPACE,
  remoteSecret,
  startSimCluster,
  type SimCluster,
} from './support/kube-sim-clusters.ts';
import { tempDir } from './support/mesh-fixture.ts';
import { startTestMeshpilot } from './support/meshpilot-process.ts';

const KUBECTL = '/usr/bin/kubectl';
const hasKubectl = ((): boolean => {
  try {
    accessSync(KUBECTL, constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();
if (!hasKubectl)
  console.warn(
    `multi-cluster kubectl test SKIPPED: ${KUBECTL} not found (Debian package kubernetes-client provides it)`,
  );

const BASELINE = ['10.1.0.1:5000', '10.2.0.1:5000', '10.3.0.1:5000'];
const PROXY = 'sidecar~10.1.0.99~client-0.sample~sample.svc.cluster.local';
const sameSet = (expected: readonly string[]) => (addresses: readonly string[]) =>
  addresses.length === expected.length && [...expected].sort().every((a, i) => addresses[i] === a);

async function clusterz(adminUrl: string): Promise<KubeClusterHealth[]> {
  return (await (await fetch(`${adminUrl}/debug/clusterz`)).json()) as KubeClusterHealth[];
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 10_000; attempt += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('three kube-sim clusters watched live by meshpilot', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let a: SimCluster;
  let b: SimCluster;
  let c: SimCluster;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let follower: EdsFollower;

  const restoreBaseline = async (): Promise<void> => {
    for (const [cluster, tag, ip] of [
      [a, 'a', '10.1.0.1'],
      [b, 'b', '10.2.0.1'],
      [c, 'c', '10.3.0.1'],
    ] as const) {
      for (const object of helloworld(tag, [ip])) cluster.sim.apply(object);
      for (const pod of cluster.sim.list('v1', 'Pod', HELLO_NAMESPACE))
        if (pod.metadata.name !== `helloworld-${tag}-0`)
          cluster.sim.remove('v1', 'Pod', HELLO_NAMESPACE, pod.metadata.name);
    }
    await follower.waitFor(sameSet(BASELINE), 'the baseline endpoints', {
      since: Math.max(0, follower.updates.length - 1),
    });
  };

  beforeAll(async () => {
    dir = await tempDir('multi-cluster');
    [a, b, c] = await Promise.all([
      startSimCluster(dir.path, 'cluster-a', helloworld('a', ['10.1.0.1'])),
      startSimCluster(dir.path, 'cluster-b', helloworld('b', ['10.2.0.1'])),
      startSimCluster(dir.path, 'cluster-c', helloworld('c', ['10.3.0.1'])),
    ]);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [a, b, c].map((cluster) => ({ name: cluster.name, kubeconfig: cluster.kubeconfigPath })),
      remoteSecrets: { cluster: 'cluster-a', namespace: 'istio-system' },
      registry: { resyncMs: 2_000 },
    });
    follower = EdsFollower.connect(
      meshpilot.xdsAddress,
      PROXY,
      { CLUSTER_ID: 'cluster-a', NAMESPACE: HELLO_NAMESPACE },
      HELLO_ENVOY_CLUSTER,
    );
  });

  afterAll(async () => {
    await follower?.close();
    await meshpilot?.stop();
    await Promise.all([a, b, c].map((cluster) => cluster?.sim.stop()));
    await dir?.remove();
  });

  it('merges the service present in all three into one Envoy cluster with the endpoints of all three', async () => {
    const update = await follower.waitFor(sameSet(BASELINE), 'the endpoints of all three kube clusters');
    expect(update.addresses).toEqual(BASELINE);
    const clusters = follower.clusters.at(-1) ?? [];
    expect(clusters.filter((name) => name === HELLO_ENVOY_CLUSTER)).toHaveLength(1);
    const health = await clusterz(meshpilot.adminUrl);
    expect(health.map((h) => [h.name, h.source, h.state])).toEqual([
      ['cluster-a', 'kubeconfig', 'synced'],
      ['cluster-b', 'kubeconfig', 'synced'],
      ['cluster-c', 'kubeconfig', 'synced'],
    ]);
    expect(health[1]?.objects).toEqual({ Service: 1, EndpointSlice: 1, Pod: 1, Node: 1 });
    const metrics = await (await fetch(`${meshpilot.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/meshpilot_kube_cluster_synced\{cluster="cluster-b"\} 1/);
    expect(metrics).toMatch(/istiod_managed_clusters\{cluster_type="local"\} 3/);
  });

  it.skipIf(!hasKubectl)('follows a pod added, moved and removed with kubectl', async () => {
    await restoreBaseline();
    const kubectl = (...args: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        execFile(
          KUBECTL,
          ['--kubeconfig', b.kubeconfigPath, '--cache-dir', join(dir.path, 'kubectl-cache'), ...args],
          { timeout: 20_000, env: { ...process.env, HOME: dir.path } },
          (error, stdout, stderr) => {
            if (error) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`));
            else resolve(stdout);
          },
        );
      });
    const manifest = join(dir.path, 'cluster-b-helloworld.yaml');
    const step = async (what: string, run: () => Promise<unknown>, expected: readonly string[]): Promise<void> => {
      const since = follower.updates.length;
      const started = Date.now();
      await run();
      const update = await follower.waitFor(sameSet(expected), what, { since, timeoutMs: 20_000 });
      console.info(`kubectl ${what}: reached the xDS client ${update.at - started} ms after kubectl started`);
    };
    const apply = (ips: string[]) => async () => {
      await writeFile(
        manifest,
        helloworld('b', ips)
          .map((doc) => stringify(doc))
          .join('---\n'),
      );
      await kubectl('apply', '-f', manifest);
    };
    await step('add a pod and its endpoint', apply(['10.2.0.1', '10.2.0.2']), [...BASELINE, '10.2.0.2:5000']);
    await step('move the pod to a new address', apply(['10.2.0.1', '10.2.0.3']), [...BASELINE, '10.2.0.3:5000']);
    await step(
      'remove the endpoint slice',
      () => kubectl('delete', 'endpointslice', 'helloworld-slice', '-n', HELLO_NAMESPACE),
      ['10.1.0.1:5000', '10.3.0.1:5000'],
    );
    await restoreBaseline();
  });

  it('adds a kube cluster from a new remote secret and removes exactly its endpoints when the secret is deleted', async () => {
    await restoreBaseline();
    const d = await startSimCluster(dir.path, 'cluster-d', helloworld('d', ['10.4.0.1']));
    try {
      const since = follower.updates.length;
      a.sim.apply(remoteSecret('istio-remote-secret-cluster-d', 'cluster-d', d.sim.kubeconfig));
      await follower.waitFor(sameSet([...BASELINE, '10.4.0.1:5000']), 'the remote cluster endpoints', { since });
      const added = (await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'cluster-d');
      expect(added).toMatchObject({
        source: 'remote-secret',
        state: 'synced',
        objects: { Service: 1, EndpointSlice: 1, Pod: 1, Node: 1 },
      });

      // A broken kubeconfig in another secret marks only that cluster unhealthy.
      const dead = d.sim.kubeconfig.replace(`:${d.sim.port}`, ':1');
      a.sim.apply(remoteSecret('istio-remote-secret-cluster-e', 'cluster-e', dead));
      const broken = await until(
        async () =>
          (await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'cluster-e' && h.state === 'unreachable'),
        'cluster-e to be reported unreachable',
      );
      expect(broken.lastError).toMatch(/^cluster-e: list [a-z]+: connect ECONNREFUSED 127\.0\.0\.1:1$/);
      expect((await clusterz(meshpilot.adminUrl)).filter((h) => h.name !== 'cluster-e').map((h) => h.state)).toEqual([
        'synced',
        'synced',
        'synced',
        'synced',
      ]);

      const beforeRemoval = follower.updates.length;
      a.sim.remove('v1', 'Secret', 'istio-system', 'istio-remote-secret-cluster-d');
      const removed = await follower.waitFor(
        (addresses) => !addresses.includes('10.4.0.1:5000'),
        'cluster-d endpoints gone',
        { since: beforeRemoval },
      );
      expect(removed.addresses).toEqual(BASELINE);
      await until(
        async () => ((await clusterz(meshpilot.adminUrl)).some((h) => h.name === 'cluster-d') ? undefined : true),
        'cluster-d to leave /debug/clusterz',
      );
      a.sim.remove('v1', 'Secret', 'istio-system', 'istio-remote-secret-cluster-e');
      await until(
        async () => ((await clusterz(meshpilot.adminUrl)).length === 3 ? true : undefined),
        'only the configured clusters to remain',
      );
      expect(follower.latest()).toEqual(BASELINE);
    } finally {
      await d.sim.stop();
    }
  });

  it("keeps serving a stopped cluster's endpoints while it is down, and the same ones after it is back", async () => {
    await restoreBaseline();
    const since = follower.updates.length;
    await b.sim.faults.stop();
    await until(
      async () => (await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'cluster-b' && h.state === 'unreachable'),
      'cluster-b to be reported unreachable',
    );
    // Force a push while cluster-b is down: it must still carry cluster-b's endpoint.
    for (const object of helloworld('a', ['10.1.0.1', '10.1.0.2'])) a.sim.apply(object);
    await follower.waitFor(sameSet([...BASELINE, '10.1.0.2:5000']), 'a push during the outage', { since });
    // The first error may be the dropped connection ("Premature close"); the retries then say why.
    const down = await until(
      async () =>
        (await clusterz(meshpilot.adminUrl)).find(
          (h) => h.name === 'cluster-b' && /ECONNREFUSED/.test(h.lastError ?? ''),
        ),
      'the reason cluster-b is down',
    );
    expect(down.state).toBe('unreachable');
    expect(down.unreachableSince).toBeDefined();
    expect(down.lastError).toMatch(/^cluster-b: (list|watch) [a-z]+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(down.objects).toEqual({ Service: 1, EndpointSlice: 1, Pod: 1, Node: 1 });

    await b.sim.faults.restart();
    await until(
      async () => (await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'cluster-b' && h.state === 'synced'),
      'cluster-b to be synced again',
    );
    for (const update of follower.updates.slice(since)) expect(update.addresses).toContain('10.2.0.1:5000');
    expect(follower.latest()).toEqual([...BASELINE, '10.1.0.2:5000'].sort());
    await restoreBaseline();
  });

  it('re-lists after a forced 410 and loses nothing', async () => {
    await restoreBaseline();
    await until(async () => (c.sim.openWatchCount() >= 4 ? true : undefined), 'cluster-c watches open');
    const since = follower.updates.length;
    c.sim.faults.compact();
    c.sim.faults.force410(4);
    c.sim.faults.cutWatches();
    for (const object of helloworld('c', ['10.3.0.2', '10.3.0.3'])) c.sim.apply(object);
    const expected = ['10.1.0.1:5000', '10.2.0.1:5000', '10.3.0.2:5000', '10.3.0.3:5000'];
    await follower.waitFor(sameSet(expected), 'cluster-c endpoints after the re-list', { since });
    for (const update of follower.updates.slice(since))
      expect(new Set(update.addresses).size).toBe(update.addresses.length);
    await restoreBaseline();
  });

  it('repairs silently cut watches', async () => {
    await restoreBaseline();
    const since = follower.updates.length;
    for (const cluster of [a, b, c]) cluster.sim.faults.cutWatches();
    for (const object of helloworld('b', ['10.2.0.9'])) b.sim.apply(object);
    await follower.waitFor(
      sameSet(['10.1.0.1:5000', '10.2.0.9:5000', '10.3.0.1:5000']),
      'the change made after the cut',
      { since },
    );
    await restoreBaseline();
  });
});

describe('kube clusters that cannot be reached at start', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let a: SimCluster;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  const badToken = 'bad-token-0123456789abcdef';

  beforeAll(async () => {
    dir = await tempDir('unreachable');
    a = await startSimCluster(dir.path, 'cluster-a', helloworld('a', ['10.1.0.1']));
    await writeFile(join(dir.path, 'dead.kubeconfig'), a.sim.kubeconfig.replace(`:${a.sim.port}`, ':1'));
    await writeFile(join(dir.path, 'bad-token.kubeconfig'), a.sim.kubeconfigFor(badToken));
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [
        { name: 'cluster-a', kubeconfig: a.kubeconfigPath },
        { name: 'cluster-c', kubeconfig: join(dir.path, 'dead.kubeconfig') },
        { name: 'cluster-d', kubeconfig: join(dir.path, 'bad-token.kubeconfig') },
      ],
      readiness: { remoteClusterTimeoutMs: 3_000 },
    });
  });

  afterAll(async () => {
    await meshpilot?.stop();
    await a?.sim.stop();
    await dir?.remove();
  });

  it('marks only those clusters unhealthy, says which and why, serves the others, and is ready after the timeout', async () => {
    const notReady = await fetch(`${meshpilot.adminUrl}/readyz`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { reason: string }).reason).toBe(
      'kube clusters not synced yet: cluster-c, cluster-d',
    );

    const health = await clusterz(meshpilot.adminUrl);
    expect(health.map((h) => [h.name, h.state])).toEqual([
      ['cluster-a', 'synced'],
      ['cluster-c', 'unreachable'],
      ['cluster-d', 'unreachable'],
    ]);
    expect(health[1]?.lastError).toMatch(/^cluster-c: list [a-z]+: connect ECONNREFUSED 127\.0\.0\.1:1$/);
    expect(health[2]?.lastError).toMatch(/^cluster-d: list [a-z]+: 401 Unauthorized/);
    expect(JSON.stringify(health)).not.toContain(badToken);

    const follower = EdsFollower.connect(meshpilot.xdsAddress, PROXY, { CLUSTER_ID: 'cluster-a' }, HELLO_ENVOY_CLUSTER);
    try {
      await follower.waitFor(sameSet(['10.1.0.1:5000']), 'cluster-a endpoints');
    } finally {
      await follower.close();
    }
    await until(
      async () => ((await fetch(`${meshpilot.adminUrl}/readyz`)).status === 200 ? true : undefined),
      'ready after the timeout',
      10_000,
    );
    const metrics = await (await fetch(`${meshpilot.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/remote_cluster_sync_timeouts_total 1/);
    expect(metrics).toMatch(/meshpilot_kube_cluster_synced\{cluster="cluster-c"\} 0/);
  });
});
