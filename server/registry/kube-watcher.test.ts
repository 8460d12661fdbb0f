import { Writable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import pino, { type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeManifest, serviceManifests } from '../../e2e/support/mesh-fixture.ts';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { KUBE_KINDS, type RegistryChange } from './events.ts';
import { clusterScopedKey, namespacedKey } from '../kube/resource.ts';
import { KubeWatcher, type RegistrySettings } from './kube-watcher.ts';
import { reduceEndpointSlice, reduceNamespace, reduceNode, reducePod, reduceService } from './reduce.ts';
import { eventually } from '../../e2e/support/eventually.ts';

const FAST_BACKOFF = { initialMs: 20, maxMs: 200, resetAfterMs: 60_000, jitter: 0.5 };

/** What the store must hold: the simulator's objects, reduced the same way. */
function truth(sim: KubeSim): Record<string, Record<string, unknown>> {
  const of = (apiVersion: string, kind: string, key: (o: unknown) => string, reduce: (o: unknown) => unknown) =>
    Object.fromEntries(sim.list(apiVersion, kind).map((o) => [key(o), reduce(o)]));
  return {
    Service: of('v1', 'Service', namespacedKey, reduceService),
    EndpointSlice: of('discovery.k8s.io/v1', 'EndpointSlice', namespacedKey, reduceEndpointSlice),
    Pod: of('v1', 'Pod', namespacedKey, reducePod),
    Node: of('v1', 'Node', clusterScopedKey, reduceNode),
    Namespace: of('v1', 'Namespace', clusterScopedKey, reduceNamespace),
  };
}

function stored(watcher: KubeWatcher): Record<string, Record<string, unknown>> {
  return Object.fromEntries(KUBE_KINDS.map((kind) => [kind, Object.fromEntries(watcher.store.records(kind))]));
}

function helloworld(ips: string[], name = 'helloworld') {
  return serviceManifests({
    name,
    namespace: 'sample',
    port: 5000,
    clusterIP: '10.96.0.10',
    endpoints: ips.map((ip, i) => ({ ip, pod: `${name}-${i}`, node: 'node-1' })),
  });
}

function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('KubeWatcher against kube-sim', () => {
  let sim: KubeSim;
  let watcher: KubeWatcher | undefined;
  let batches: RegistryChange[][];
  let log: ReturnType<typeof capturingLogger>;

  const watch = async (
    options: { yaml?: string; settings?: Partial<RegistrySettings>; name?: string } = {},
  ): Promise<KubeWatcher> => {
    watcher = new KubeWatcher({
      name: options.name ?? 'cluster-a',
      kubeconfig: { yaml: options.yaml ?? sim.kubeconfig },
      logger: log.logger,
      backoff: FAST_BACKOFF,
      listTimeoutMs: 3_000,
      settings: { resyncMs: 0, ...options.settings },
    });
    await watcher.start((changes) => batches.push([...changes]));
    return watcher;
  };

  beforeEach(async () => {
    sim = await startKubeSim({ clusterName: 'cluster-a' });
    for (const object of [
      nodeManifest({ name: 'node-1', region: 'r1', zone: 'z1' }),
      ...helloworld(['10.0.0.1', '10.0.0.2']),
    ])
      sim.apply(object);
    batches = [];
    log = capturingLogger();
  });

  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    await sim.stop();
  });

  it('lists the five kinds, emits them as one batch, reports synced and logs counts once', async () => {
    const w = await watch();
    expect(stored(w)).toEqual(truth(sim));
    expect(w.store.counts()).toEqual({ Service: 1, EndpointSlice: 1, Pod: 2, Node: 1, Namespace: 5 });
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(10);
    const health = w.health();
    expect(health).toMatchObject({
      name: 'cluster-a',
      source: 'kubeconfig',
      state: 'synced',
      objects: { Service: 1, EndpointSlice: 1, Pod: 2, Node: 1, Namespace: 5 },
    });
    expect(health.syncedAt).toBeDefined();
    expect(health.lastError).toBeUndefined();
    const synced = log.lines.filter((l) => l.msg === 'kube cluster synced');
    expect(synced).toHaveLength(1);
    expect(synced[0]).toMatchObject({
      kubeCluster: 'cluster-a',
      Service: 1,
      EndpointSlice: 1,
      Pod: 2,
      Node: 1,
      Namespace: 5,
    });
    expect(typeof synced[0]?.ms).toBe('number');
  });

  it('follows adds, changes and deletes as they happen', async () => {
    const w = await watch();
    for (const object of helloworld(['10.0.0.1', '10.0.0.3'])) sim.apply(object);
    sim.remove('v1', 'Pod', 'sample', 'helloworld-0');
    await eventually(() => isDeepStrictEqual(stored(w), truth(sim)), 'the store to follow the simulator');
    expect(w.store.records('Pod').has('sample/helloworld-0')).toBe(false);
    expect(
      w.store
        .records('EndpointSlice')
        .get('sample/helloworld-slice')
        ?.endpoints.map((e) => e.addresses[0]),
    ).toEqual(['10.0.0.1', '10.0.0.3']);
  });

  it('keeps the last-known records while the API server is down, and matches it again after restart', async () => {
    const w = await watch();
    const before = stored(w);
    const batchesBefore = batches.length;
    await sim.faults.stop();
    await eventually(() => w.health().state === 'unreachable', 'the cluster to be reported unreachable');
    const down = w.health();
    expect(down.unreachableSince).toBeDefined();
    expect(down.lastError).toMatch(/^cluster-a: (list|watch) [a-z]+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    // Several failed restarts later, nothing was dropped and no change was emitted.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(stored(w)).toEqual(before);
    expect(batches.length).toBe(batchesBefore);
    expect(log.lines.filter((l) => l.msg === 'kube cluster unreachable; serving its last-known records')).toHaveLength(
      1,
    );

    // A change made "while down" (applied to the simulator's store, not served) must arrive after recovery.
    for (const object of helloworld(['10.0.0.1', '10.0.0.2', '10.0.0.4'])) sim.apply(object);
    await sim.faults.restart();
    await eventually(() => w.health().state === 'synced', 'recovery');
    await eventually(() => isDeepStrictEqual(stored(w), truth(sim)), 'the store to match after recovery');
    expect(w.store.counts()).toEqual({ Service: 1, EndpointSlice: 1, Pod: 3, Node: 1, Namespace: 5 });
    expect(w.health().lastError).toBeUndefined();
    expect(log.lines.some((l) => l.msg === 'kube cluster reachable again, re-listed')).toBe(true);
  });

  it('logs an unreachable kube cluster again when the reason changes, not when it repeats', async () => {
    const w = await watch();
    await sim.faults.stop();
    await eventually(() => w.health().state === 'unreachable', 'the cluster to be reported unreachable');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = (): Record<string, unknown>[] =>
      log.lines.filter((l) => l.msg === 'kube cluster still unreachable, for another reason');
    expect(again()).toEqual([]);
    // Back on the port but answering slower than listTimeoutMs (3 s): a timeout instead of a refusal.
    sim.faults.delay(20_000);
    await sim.faults.restart();
    await eventually(() => again().length > 0, 'the new reason to be logged', 15_000);
    expect(again()[0]?.reason).not.toMatch(/ECONNREFUSED/);
    expect(again()[0]).toMatchObject({ kubeCluster: 'cluster-a', code: 'MESHPILOT_ERR_KUBE_CLUSTER_UNREACHABLE' });
    sim.faults.reset();
  }, 30_000);

  it('re-lists after a 410 and loses nothing, duplicates nothing', async () => {
    const w = await watch();
    await eventually(() => sim.openWatchCount() === 5, 'five open watches');
    sim.faults.compact();
    sim.faults.force410(4);
    sim.faults.cutWatches();
    sim.remove('v1', 'Pod', 'sample', 'helloworld-1');
    for (const object of helloworld(['10.0.0.1', '10.0.0.9'], 'other')) sim.apply(object);
    await eventually(() => isDeepStrictEqual(stored(w), truth(sim)), 'the store to match after the re-list');
    expect(w.store.counts()).toEqual({ Service: 2, EndpointSlice: 2, Pod: 3, Node: 1, Namespace: 5 });
    const upserts = batches
      .flat()
      .filter((c) => c.op === 'upsert')
      .map((c) => `${c.kind} ${c.key}`);
    expect(new Set(upserts).size).toBe(upserts.length);
  });

  it('picks up changes made while its watches were silently cut', async () => {
    const w = await watch();
    await eventually(() => sim.openWatchCount() === 5, 'five open watches');
    expect(sim.faults.cutWatches()).toBe(5);
    for (const object of helloworld(['10.0.0.7'])) sim.apply(object);
    sim.remove('v1', 'Pod', 'sample', 'helloworld-1');
    await eventually(() => isDeepStrictEqual(stored(w), truth(sim)), 'the store to match after the cut');
    expect(w.health().state).toBe('synced');
  });

  it('repairs silently missed events with the periodic resync', async () => {
    const w = await watch({ settings: { resyncMs: 150 } });
    // Simulate an informer that missed a delete and an add (istio/istio#54997): the store disagrees with the server.
    const ghost = reducePod({ metadata: { name: 'ghost', namespace: 'sample' }, status: { podIP: '10.9.9.9' } });
    w.store.apply([
      { kubeCluster: 'cluster-a', kind: 'Pod', op: 'upsert', key: 'sample/ghost', record: ghost },
      { kubeCluster: 'cluster-a', kind: 'Pod', op: 'delete', key: 'sample/helloworld-0' },
    ]);
    await eventually(() => isDeepStrictEqual(stored(w), truth(sim)), 'the resync to repair the store');
    const repaired = batches
      .flat()
      .filter((c) => c.kind === 'Pod')
      .map((c) => `${c.op} ${c.key}`);
    expect(repaired).toEqual(expect.arrayContaining(['delete sample/ghost', 'upsert sample/helloworld-0']));
  });

  it('drops the records of a cluster unreachable for longer than dropAfterMs under policy drop, and restores them', async () => {
    const w = await watch({ settings: { unreachablePolicy: 'drop', dropAfterMs: 200 } });
    await sim.faults.stop();
    await eventually(() => w.store.counts().Pod === 0, 'the records to be dropped');
    expect(w.store.counts()).toEqual({ Service: 0, EndpointSlice: 0, Pod: 0, Node: 0, Namespace: 0 });
    await sim.faults.restart();
    await eventually(() => isDeepStrictEqual(stored(w), truth(sim)), 'the records to come back');
  });

  it('reports a dead address without hanging, naming the cluster and the reason', async () => {
    const dead = sim.kubeconfig.replace(`:${sim.port}`, ':1');
    const w = await watch({ yaml: dead, name: 'cluster-c' });
    const health = w.health();
    expect(health.state).toBe('unreachable');
    expect(health.lastError).toMatch(/^cluster-c: list [a-z]+: connect ECONNREFUSED 127\.0\.0\.1:1$/);
    expect(batches).toEqual([]);
  });

  it('reports a bad token as 401 Unauthorized without the token', async () => {
    const token = 'not-a-valid-token-0123456789';
    const w = await watch({ yaml: sim.kubeconfigFor(token), name: 'cluster-d' });
    const health = w.health();
    expect(health.state).toBe('unreachable');
    expect(health.lastError).toMatch(/^cluster-d: list [a-z]+: 401 Unauthorized/);
    expect(JSON.stringify(health)).not.toContain(token);
    expect(JSON.stringify(log.lines)).not.toContain(token);
    expect(JSON.stringify(log.lines)).not.toContain(sim.adminToken);
  });

  it('reports an invalid kubeconfig as unreachable with a searchable code', async () => {
    const w = await watch({ yaml: 'apiVersion: v1\nkind: Config\n', name: 'cluster-e' });
    expect(w.health()).toMatchObject({
      state: 'unreachable',
      lastError: 'cluster-e: invalid kubeconfig: it has no current context with a cluster',
    });
    expect(log.lines.some((l) => l.code === 'MESHPILOT_ERR_KUBECONFIG_INVALID')).toBe(true);
  });
});
