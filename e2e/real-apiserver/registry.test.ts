import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EdsFollower } from '../support/eds-follower.ts';
import { tempDir } from '../support/mesh-fixture.ts';
import { realKubeBinaries, startRealKubeClusters, type RealKubeCluster } from '../support/real-kube-cluster.ts';
import {
  apiServerEndpoints,
  applyHelloworld,
  helloPods,
  HELLO_ENVOY_CLUSTER,
  HELLO_NAMESPACE,
} from '../support/real-mesh-fixture.ts';
import {
  clusterz,
  createRemoteSecretCli,
  kubeconfigOfSecret,
  startRealMeshpilot,
  until,
} from '../support/real-meshpilot.ts';
import { runWorkloadAgent } from '../support/secure-mesh.ts';

/**
 * meshpilot's registry against real kube-apiservers (k8s.io/kubernetes v1.36.1, etcd v3.6.8, built by
 * interop/kube-apiserver/build.sh): a config kube cluster with Istio's own CRDs and three member
 * kube clusters, every one read with the reader service account of deploy/member-cluster/ through a
 * kubeconfig `meshpilot create-remote-secret` made. All four start once for the file.
 *   cluster-a: watch cache on, watches end every 4-8 s (--min-request-timeout=4), so BOOKMARKs flow.
 *   cluster-b: defaults; its API server is stopped and restarted.
 *   cluster-c: no watch cache, watches end every 4-8 s: an etcd compaction turns a resumed watch into 410 Gone.
 */

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const READER = 'system:serviceaccount:istio-system:meshpilot-reader';
const PROXY = 'sidecar~10.1.0.99~client-0.sample~sample.svc.cluster.local';
const BASE = { a: ['10.1.0.1'], b: ['10.2.0.1'], c: ['10.3.0.1'] } as const;
type Tag = keyof typeof BASE;

const noDuplicates = (addresses: readonly string[]): boolean => new Set(addresses).size === addresses.length;
const sameSet = (expected: readonly string[]) => (addresses: readonly string[]) =>
  addresses.length === expected.length && [...expected].sort().every((a, i) => addresses[i] === a);

describe('the registry on real kube-apiservers', { timeout: 120_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: RealKubeCluster;
  let a: RealKubeCluster;
  let b: RealKubeCluster;
  let c: RealKubeCluster;
  let members: Record<Tag, RealKubeCluster>;
  let meshpilot: Awaited<ReturnType<typeof startRealMeshpilot>>;
  let follower: EdsFollower;
  let memberClusterApply: string;

  /** Waits until the proxy's EDS is exactly what the member API servers hold; returns it. */
  const edsMatchesApiServers = async (what: string, since = 0): Promise<readonly string[]> => {
    const expected = await apiServerEndpoints(Object.values(members));
    const update = await follower.waitFor(sameSet(expected), what, { since, timeoutMs: 30_000 });
    return update.addresses;
  };

  const restoreBaseline = async (): Promise<void> => {
    for (const tag of ['a', 'b', 'c'] as const) await applyHelloworld(members[tag], tag, helloPods(tag, BASE[tag]));
    await edsMatchesApiServers('the baseline endpoints');
  };

  const remoteSecret = async (cluster: RealKubeCluster, name: string, serviceAccount?: string): Promise<string> => {
    const run = await createRemoteSecretCli([
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--name',
      name,
      '--token-wait',
      '500',
      ...(serviceAccount !== undefined ? ['--service-account', serviceAccount] : []),
    ]);
    if (run.code !== 0) throw new Error(`create-remote-secret ${name} failed: ${run.stderr}`);
    // No controller-manager fills the token Secret, so `auto` falls back to the TokenRequest API.
    expect(run.stderr).toMatch(/the token comes from the TokenRequest API/);
    return run.secret;
  };

  beforeAll(async () => {
    dir = await tempDir('real-apiserver');
    const started = Date.now();
    [config, a, b, c] = await startRealKubeClusters(dir.path, [
      { name: 'config' },
      { name: 'cluster-a', minRequestTimeoutSeconds: 4 },
      { name: 'cluster-b' },
      { name: 'cluster-c', minRequestTimeoutSeconds: 4, watchCache: false },
    ]);
    console.info(
      `4 real kube clusters ready in ${(Date.now() - started) / 1000} s (etcd ${[config, a, b, c].map((k) => k.etcdStartSeconds).join(', ')} s; kube-apiserver ${[config, a, b, c].map((k) => k.apiServerStartSeconds[0]).join(', ')} s)`,
    );
    members = { a, b, c };
    await config.kubectl(['apply', '--server-side', '-f', realKubeBinaries().istioCrds]);
    await config.waitForCrdsEstablished();
    const applied = await Promise.all(
      [config, a, b, c].map((cluster) => cluster.kubectl(['apply', '-f', join(repoRoot, 'deploy', 'member-cluster')])),
    );
    memberClusterApply = applied[0] ?? '';
    await Promise.all(
      (['a', 'b', 'c'] as const).map((tag) => applyHelloworld(members[tag], tag, helloPods(tag, BASE[tag]))),
    );

    const readers = join(dir.path, 'readers');
    await mkdir(readers);
    const kubeconfigs: { name: string; kubeconfig: string }[] = [];
    for (const cluster of [config, a, b]) {
      const path = join(readers, `${cluster.name}.kubeconfig`);
      await writeFile(path, kubeconfigOfSecret(await remoteSecret(cluster, cluster.name), cluster.name), {
        mode: 0o600,
      });
      kubeconfigs.push({ name: cluster.name, kubeconfig: path });
    }
    meshpilot = await startRealMeshpilot(dir.path, {
      clusters: kubeconfigs,
      remoteSecrets: { cluster: 'config', namespace: 'istio-system' },
      config: [{ cluster: 'config' }],
      tokenReviewCluster: 'cluster-a',
      // No periodic re-list during the file: a watch that moves forward does so through BOOKMARKs.
      resyncMs: 3_600_000,
    });
    // cluster-c joins while meshpilot runs, through its remote secret in the config cluster.
    await config.kubectl(['apply', '-f', '-'], { input: await remoteSecret(c, 'cluster-c') });
    follower = EdsFollower.connect(
      meshpilot.xdsAddress,
      PROXY,
      { CLUSTER_ID: 'cluster-a', NAMESPACE: HELLO_NAMESPACE },
      HELLO_ENVOY_CLUSTER,
    );
  }, 300_000);

  afterAll(async () => {
    await follower?.close();
    await meshpilot?.stop();
    await Promise.all([config, a, b, c].map((cluster) => cluster?.stop()));
    await dir?.remove();
  }, 60_000);

  it('serves exactly the endpoints the member API servers hold, read with only the reader role', async () => {
    const addresses = await edsMatchesApiServers('the endpoints of all three member kube clusters');
    expect(addresses).toEqual(['10.1.0.1:5000', '10.2.0.1:5000', '10.3.0.1:5000']);
    expect((follower.clusters.at(-1) ?? []).filter((name) => name === HELLO_ENVOY_CLUSTER)).toHaveLength(1);
    const health = await until(async () => {
      const all = await clusterz(meshpilot.adminUrl);
      return all.length === 4 && all.every((h) => h.state === 'synced') ? all : undefined;
    }, 'all four kube clusters synced');
    expect(health.map((h) => [h.name, h.source])).toEqual([
      ['config', 'kubeconfig'],
      ['cluster-a', 'kubeconfig'],
      ['cluster-b', 'kubeconfig'],
      ['cluster-c', 'remote-secret'],
    ]);
    // The real API server adds the `kubernetes` Service in default.
    expect(health.find((h) => h.name === 'cluster-b')?.objects).toEqual({
      Service: 2,
      EndpointSlice: 1,
      Pod: 1,
      Node: 1,
      // default, kube-system, kube-public, kube-node-lease, and the test's own
      Namespace: expect.any(Number) as unknown,
    });
    // The reader can read and nothing else.
    const readerKubeconfig = join(dir.path, 'readers', 'cluster-b.kubeconfig');
    await expect(
      b.kubectl(['auth', 'can-i', 'create', 'services', '-n', HELLO_NAMESPACE], { kubeconfigPath: readerKubeconfig }),
    ).rejects.toThrow(/auth can-i create services -n sample on cluster-b failed \(1\)/);
    expect(
      (
        await b.kubectl(['auth', 'can-i', 'watch', 'endpointslices.discovery.k8s.io', '-A'], {
          kubeconfigPath: readerKubeconfig,
        })
      ).trim(),
    ).toBe('yes');
  });

  it('follows Pods, EndpointSlices and Nodes applied and deleted with kubectl', async () => {
    await restoreBaseline();
    const step = async (what: string, run: () => Promise<unknown>): Promise<readonly string[]> => {
      const since = follower.updates.length;
      await run();
      return edsMatchesApiServers(what, since);
    };
    expect(await step('a pod added', () => applyHelloworld(b, 'b', helloPods('b', ['10.2.0.1', '10.2.0.2'])))).toEqual([
      '10.1.0.1:5000',
      '10.2.0.1:5000',
      '10.2.0.2:5000',
      '10.3.0.1:5000',
    ]);
    expect(await step('a pod moved', () => applyHelloworld(b, 'b', helloPods('b', ['10.2.0.1', '10.2.0.3'])))).toEqual([
      '10.1.0.1:5000',
      '10.2.0.1:5000',
      '10.2.0.3:5000',
      '10.3.0.1:5000',
    ]);
    expect(
      await step('the endpoint slice deleted', () =>
        b.kubectl(['delete', 'endpointslice', 'helloworld-slice', '-n', HELLO_NAMESPACE]),
      ),
    ).toEqual(['10.1.0.1:5000', '10.3.0.1:5000']);
    await b.kubectl(['delete', 'node', 'node-b']);
    await until(
      async () =>
        (await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'cluster-b')?.objects['Node'] === 0
          ? true
          : undefined,
      'cluster-b to hold no Node',
    );
    for (const update of follower.updates) expect(noDuplicates(update.addresses)).toBe(true);
    await restoreBaseline();
  });

  it('reads a kube cluster’s network live from its istio-system Namespace label and finds the gateway its labelled Service names (issue #15 points 1 and 3)', async () => {
    await restoreBaseline();
    const gateway = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'istio-eastwestgateway',
        namespace: 'istio-system',
        labels: { 'topology.istio.io/network': 'network-c' },
      },
      spec: {
        type: 'ClusterIP',
        externalIPs: ['192.0.2.33'],
        selector: { istio: 'eastwestgateway' },
        ports: [{ name: 'tls', port: 15443, targetPort: 15443, protocol: 'TCP' }],
      },
    };
    await c.apply([gateway]);
    // Only endpoints the client sends Istio mTLS cross networks (the gateway routes by SNI).
    await c.kubectl(['label', 'pod', 'helloworld-c-0', '-n', HELLO_NAMESPACE, 'security.istio.io/tlsMode=istio']);
    try {
      // cluster-c has no network yet: its endpoint is reached directly.
      await edsMatchesApiServers('cluster-c without a network');
      const since = follower.updates.length;
      await c.kubectl(['label', 'namespace', 'istio-system', 'topology.istio.io/network=network-c']);
      // The proxy has no network of its own: an endpoint in a network with a gateway goes through it (as Istio).
      const viaGateway = await follower.waitFor(
        sameSet(['10.1.0.1:5000', '10.2.0.1:5000', '192.0.2.33:15443']),
        'cluster-c endpoints through network-c’s gateway',
        { since, timeoutMs: 30_000 },
      );
      expect(viaGateway.addresses).not.toContain('10.3.0.1:5000');
      const unlabelled = follower.updates.length;
      await c.kubectl(['label', 'namespace', 'istio-system', 'topology.istio.io/network-']);
      await edsMatchesApiServers('cluster-c direct again once the label is gone', unlabelled);
    } finally {
      const ignore = (): string => '';
      await c.kubectl(['label', 'namespace', 'istio-system', 'topology.istio.io/network-']).catch(ignore);
      await c.kubectl(['label', 'pod', 'helloworld-c-0', '-n', HELLO_NAMESPACE, 'security.istio.io/tlsMode-']);
      await c.kubectl(['delete', 'service', 'istio-eastwestgateway', '-n', 'istio-system']);
    }
  });

  it('applies and deletes Istio resources on the config cluster, which validates them with Istio’s CRD schemas', async () => {
    const rule = (maxRequests: unknown) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'helloworld', namespace: HELLO_NAMESPACE },
      spec: {
        host: 'helloworld.sample.svc.cluster.local',
        trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: maxRequests } } },
        subsets: [{ name: 'v1', labels: { version: 'v1' } }],
      },
    });
    await config.kubectl(['create', 'namespace', HELLO_NAMESPACE]);
    await config.apply([rule(1)]);
    const rules = () => meshpilot.cache.currentSnapshot()?.istioConfig.destinationRules ?? [];
    await until(async () => (rules().length === 1 ? true : undefined), 'the DestinationRule in the snapshot');
    expect(rules()[0]?.meta).toMatchObject({
      name: 'helloworld',
      namespace: HELLO_NAMESPACE,
      origin: { type: 'kube', kubeCluster: 'config' },
    });
    // Istio's CRD schema makes the API server refuse a wrong type before meshpilot sees it.
    await expect(config.apply([rule('many')])).rejects.toThrow(/maxRequestsPerConnection/);
    await config.kubectl(['delete', 'destinationrule', 'helloworld', '-n', HELLO_NAMESPACE]);
    await until(async () => (rules().length === 0 ? true : undefined), 'the DestinationRule gone from the snapshot');
  });

  it('keeps a stopped API server’s endpoints while it is down, and serves exactly what it holds once it is back', async () => {
    await restoreBaseline();
    const since = follower.updates.length;
    await b.stopApiServer();
    const down = await until(
      async () =>
        (await clusterz(meshpilot.adminUrl)).find(
          (h) => h.name === 'cluster-b' && h.state === 'unreachable' && /ECONNREFUSED/.test(h.lastError ?? ''),
        ),
      'cluster-b reported unreachable, and why',
    );
    expect(down.lastError).toMatch(/^cluster-b: (list|watch) [a-z]+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    // A push while cluster-b is down still carries its endpoint.
    await applyHelloworld(a, 'a', helloPods('a', ['10.1.0.1', '10.1.0.2']));
    await follower.waitFor(
      sameSet(['10.1.0.1:5000', '10.1.0.2:5000', '10.2.0.1:5000', '10.3.0.1:5000']),
      'a push during the outage',
      { since },
    );
    await b.startApiServer();
    console.info(`cluster-b kube-apiserver restarted in ${b.apiServerStartSeconds.at(-1)} s`);
    await until(
      async () => (await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'cluster-b' && h.state === 'synced'),
      'cluster-b synced again',
      60_000,
    );
    await applyHelloworld(b, 'b', helloPods('b', ['10.2.0.1', '10.2.0.4']));
    await edsMatchesApiServers('a change made after the restart', since);
    for (const update of follower.updates.slice(since)) {
      expect(update.addresses).toContain('10.2.0.1:5000');
      expect(noDuplicates(update.addresses)).toBe(true);
    }
    await restoreBaseline();
  });

  it('re-lists when etcd compaction answers a resumed watch with 410 Gone, and loses and duplicates nothing', async () => {
    await restoreBaseline();
    const listsByReader = async (): Promise<number> =>
      (await c.auditRequests()).filter((r) => r.verb === 'list' && r.user.username === READER).length;
    const listsBefore = await listsByReader();
    const since = follower.updates.length;
    // Writes meshpilot does not watch move etcd's revision past the one its EndpointSlice watch resumes from.
    await c.apply(
      Array.from({ length: 20 }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `churn-${i}`, namespace: HELLO_NAMESPACE },
        data: { n: String(i) },
      })),
    );
    const compacted = await c.compactEtcd();
    console.info(`cluster-c etcd compacted at revision ${compacted}`);
    // The watch ends within 4-8 s; resuming from a compacted revision answers 410, and client-node lists again.
    await until(
      async () => ((await listsByReader()) > listsBefore ? true : undefined),
      'a re-list of cluster-c',
      30_000,
    );
    const log = await c.apiServerLog();
    expect(log).toMatch(/too old resource version|required revision has been compacted/);
    await applyHelloworld(c, 'c', helloPods('c', ['10.3.0.2', '10.3.0.3']));
    expect(await edsMatchesApiServers('cluster-c endpoints after the re-list', since)).toEqual([
      '10.1.0.1:5000',
      '10.2.0.1:5000',
      '10.3.0.2:5000',
      '10.3.0.3:5000',
    ]);
    for (const update of follower.updates.slice(since)) expect(noDuplicates(update.addresses)).toBe(true);
    await restoreBaseline();
  });

  it('asks for watch BOOKMARKs, so a quiet watch resumes from a current resourceVersion', async () => {
    await a.apply(
      Array.from({ length: 5 }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `churn-${i}`, namespace: HELLO_NAMESPACE },
        data: { at: String(Date.now()) },
      })),
    );
    const revision = await a.etcdRevision();
    const watches = await until(
      async () => {
        const found = (await a.auditRequests()).filter(
          (r) =>
            r.verb === 'watch' &&
            r.user.username === READER &&
            Number(new URL(r.requestURI, a.url).searchParams.get('resourceVersion')) >= revision,
        );
        return found.length > 0 ? found : undefined;
      },
      `a watch of EndpointSlices resumed at or after revision ${revision}`,
      30_000,
    );
    expect(new URL(watches[0]?.requestURI ?? '', a.url).searchParams.get('allowWatchBookmarks')).toBe('true');
  });

  it('authenticates workloads on 15012 through the real TokenReview, audience istio-ca', async () => {
    const token = async (cluster: RealKubeCluster, audiences?: string[]): Promise<string> => {
      const answer = (await cluster.call(
        'POST',
        `/api/v1/namespaces/${HELLO_NAMESPACE}/serviceaccounts/helloworld/token`,
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 600, ...(audiences ? { audiences } : {}) },
        },
      )) as { status: { token: string } };
      return answer.status.token;
    };
    const workload = {
      namespace: HELLO_NAMESPACE,
      serviceAccount: 'helloworld',
      podName: 'helloworld-a-0',
      podIp: '10.1.0.1',
      kubeCluster: 'cluster-a',
    };
    const agents = join(dir.path, 'agents');
    await mkdir(join(agents, 'good'), { recursive: true });
    const issued = await runWorkloadAgent(meshpilot, workload, await token(a, ['istio-ca']), join(agents, 'good'));
    try {
      expect(issued.spiffeId).toBe('spiffe://cluster.local/ns/sample/sa/helloworld');
    } finally {
      issued.stop();
    }
    for (const [what, bad] of [
      ['a token for the API server audience', await token(a)],
      ['a token signed by another kube cluster', await token(b, ['istio-ca'])],
    ] as const) {
      const out = join(agents, what.replace(/\W+/g, '-'));
      await mkdir(out, { recursive: true });
      await expect(runWorkloadAgent(meshpilot, workload, bad, out), what).rejects.toThrow(/UNAUTHENTICATED/);
    }
  });

  it('reports a kube cluster whose service account lacks the reader role, by name and why, and serves the others', async () => {
    await restoreBaseline();
    await b.kubectl(['create', 'serviceaccount', 'meshpilot-norole', '-n', 'istio-system']);
    await config.kubectl(['apply', '-f', '-'], { input: await remoteSecret(b, 'cluster-d', 'meshpilot-norole') });
    const forbidden = await until(
      async () =>
        (await clusterz(meshpilot.adminUrl)).find(
          (h) => h.name === 'cluster-d' && h.state === 'unreachable' && /403/.test(h.lastError ?? ''),
        ),
      'cluster-d reported forbidden',
    );
    expect(forbidden.lastError).toMatch(/^cluster-d: list [a-z]+: 403 Forbidden/);
    expect(forbidden.lastError).toContain('system:serviceaccount:istio-system:meshpilot-norole');
    const others = (await clusterz(meshpilot.adminUrl)).filter((h) => h.name !== 'cluster-d');
    expect(others.map((h) => h.state)).toEqual(['synced', 'synced', 'synced', 'synced']);
    expect(follower.latest()).toEqual(['10.1.0.1:5000', '10.2.0.1:5000', '10.3.0.1:5000']);
    await config.kubectl(['delete', 'secret', 'istio-remote-secret-cluster-d', '-n', 'istio-system']);
    await until(
      async () => ((await clusterz(meshpilot.adminUrl)).some((h) => h.name === 'cluster-d') ? undefined : true),
      'cluster-d gone',
    );
    // Deleting cluster-c's remote secret takes exactly its endpoints away, in one push.
    const beforeRemoval = follower.updates.length;
    await config.kubectl(['delete', 'secret', 'istio-remote-secret-cluster-c', '-n', 'istio-system']);
    const removed = await follower.waitFor(
      (addresses) => !addresses.includes('10.3.0.1:5000'),
      'cluster-c endpoints gone',
      { since: beforeRemoval },
    );
    expect(removed.addresses).toEqual(['10.1.0.1:5000', '10.2.0.1:5000']);
    await until(
      async () => ((await clusterz(meshpilot.adminUrl)).some((h) => h.name === 'cluster-c') ? undefined : true),
      'cluster-c gone from /debug/clusterz',
    );
  });
  it('refuses a hostile remote secret whose kubeconfig runs a command: never runs it, marks only that kube cluster, counts it', async () => {
    const marker = join(dir.path, 'hostile-exec-ran');
    const hostile = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e', cluster: { server: a.url, 'insecure-skip-tls-verify': true } }],
      users: [
        {
          name: 'e',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: '/bin/sh',
              args: ['-c', `touch '${marker}'`],
            },
          },
        },
      ],
      contexts: [{ name: 'e', context: { cluster: 'e', user: 'e' } }],
      'current-context': 'e',
    });
    const secret = stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'istio-remote-secret-cluster-e',
        namespace: 'istio-system',
        labels: { 'istio/multiCluster': 'true' },
        annotations: { 'networking.istio.io/cluster': 'cluster-e' },
      },
      stringData: { 'cluster-e': hostile },
    });
    await config.kubectl(['apply', '-f', '-'], { input: secret });
    try {
      const refused = await until(
        async () =>
          (await clusterz(meshpilot.adminUrl)).find(
            (h) => h.name === 'cluster-e' && /MESHPILOT_ERR_KUBECONFIG_REFUSED/.test(h.lastError ?? ''),
          ),
        'cluster-e refused',
      );
      expect(refused.state).toBe('unreachable');
      expect(refused.lastError).toContain('users[0].user.exec');
      expect(existsSync(marker)).toBe(false);
      const others = (await clusterz(meshpilot.adminUrl)).filter((h) => h.name !== 'cluster-e');
      expect(others.every((h) => h.state === 'synced')).toBe(true);
      const metrics = await (await fetch(`${meshpilot.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/meshpilot_kubeconfig_refused_total\{cluster="cluster-e"\} [1-9]/);
    } finally {
      await config.kubectl(['delete', 'secret', 'istio-remote-secret-cluster-e', '-n', 'istio-system']);
    }
    await until(
      async () => ((await clusterz(meshpilot.adminUrl)).some((h) => h.name === 'cluster-e') ? undefined : true),
      'cluster-e gone',
    );
  });

  it('applies deploy/ on a real API server: the member-cluster reader for real, meshpilot itself as a server-side dry run', async () => {
    for (const created of [
      'namespace/istio-system',
      'serviceaccount/meshpilot-reader created',
      'clusterrole.rbac.authorization.k8s.io/meshpilot-reader created',
      'clusterrolebinding.rbac.authorization.k8s.io/meshpilot-reader created',
      'role.rbac.authorization.k8s.io/meshpilot-reader-secrets created',
      'rolebinding.rbac.authorization.k8s.io/meshpilot-reader-secrets created',
    ])
      expect(memberClusterApply).toContain(created);
    await config.kubectl(['apply', '-f', join(repoRoot, 'deploy', 'namespace.yaml')]);
    const dryRun = await config.kubectl(['apply', '--dry-run=server', '-f', join(repoRoot, 'deploy')]);
    const lines = dryRun.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
    for (const kind of ['configmap', 'deployment.apps', 'poddisruptionbudget.policy', 'service', 'serviceaccount'])
      expect(dryRun).toContain(`${kind}/meshpilot`);
  });

  it('marks kube clusters it cannot reach at start unhealthy, says which and why, serves the others, and is ready after the timeout', async () => {
    const reader = await readFile(join(dir.path, 'readers', 'cluster-a.kubeconfig'), 'utf8');
    const token = /token: (\S+)/.exec(reader)?.[1] ?? '';
    expect(token).not.toBe('');
    const badToken = `${token.slice(0, -8)}AAAAAAAA`;
    const startDir = join(dir.path, 'unreachable-at-start');
    await mkdir(startDir);
    await writeFile(join(startDir, 'dead.kubeconfig'), reader.replace(a.url, 'https://127.0.0.1:1'), { mode: 0o600 });
    await writeFile(join(startDir, 'bad-token.kubeconfig'), reader.replace(token, badToken), { mode: 0o600 });
    const second = await startRealMeshpilot(startDir, {
      clusters: [
        { name: 'cluster-a', kubeconfig: join(dir.path, 'readers', 'cluster-a.kubeconfig') },
        { name: 'cluster-x', kubeconfig: join(startDir, 'dead.kubeconfig') },
        { name: 'cluster-y', kubeconfig: join(startDir, 'bad-token.kubeconfig') },
      ],
      remoteClusterTimeoutMs: 3_000,
    });
    try {
      const notReady = await fetch(`${second.adminUrl}/readyz`);
      expect(notReady.status).toBe(503);
      expect(((await notReady.json()) as { reason: string }).reason).toBe(
        'kube clusters not synced yet: cluster-x, cluster-y',
      );
      const health = await clusterz(second.adminUrl);
      expect(health.map((h) => [h.name, h.state])).toEqual([
        ['cluster-a', 'synced'],
        ['cluster-x', 'unreachable'],
        ['cluster-y', 'unreachable'],
      ]);
      expect(health[1]?.lastError).toMatch(/^cluster-x: list [a-z]+: connect ECONNREFUSED 127\.0\.0\.1:1$/);
      expect(health[2]?.lastError).toMatch(/^cluster-y: list [a-z]+: 401 Unauthorized/);
      expect(JSON.stringify(health)).not.toContain(badToken);
      const local = EdsFollower.connect(second.xdsAddress, PROXY, { CLUSTER_ID: 'cluster-a' }, HELLO_ENVOY_CLUSTER);
      try {
        await local.waitFor(sameSet(['10.1.0.1:5000']), 'cluster-a endpoints');
      } finally {
        await local.close();
      }
      await until(
        async () => ((await fetch(`${second.adminUrl}/readyz`)).status === 200 ? true : undefined),
        'ready after the timeout',
      );
      const metrics = await (await fetch(`${second.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/remote_cluster_sync_timeouts_total 1/);
      expect(metrics).toMatch(/meshpilot_kube_cluster_synced\{cluster="cluster-x"\} 0/);
    } finally {
      await second.stop();
    }
  });
});
