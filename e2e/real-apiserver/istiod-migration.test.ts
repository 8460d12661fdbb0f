import { connect } from 'node:tls';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIntermediate, createTestRoot, sec1KeyPem } from '../../pki/test-support.ts';
import type { Runtime } from '../../server/runtime.ts';
import { Helm, parseObjects, type KubeObject } from '../support/helm.ts';
import { tempDir } from '../support/mesh-fixture.ts';
import { startRuntimeFromConfigFile } from '../support/meshpilot-process.ts';
import { realKubeBinaries, startRealKubeClusters, type RealKubeCluster } from '../support/real-kube-cluster.ts';
import { clusterz, createRemoteSecretCli, until } from '../support/real-meshpilot.ts';

/**
 * The README's "From istiod to meshpilot" guide, step by step, on real API servers (interop/kube-apiserver)
 * with the real helm (interop/helm). The Istio install it starts from is Istio's own istiod chart
 * (manifests/charts/istio-control/istio-discovery of the pinned istio.io/istio module):
 *   cluster-1: a primary istiod (network-1) with a plug-in CA (`cacerts`); the config cluster, and host of meshpilot
 *   cluster-2: a remote of cluster-1 (profile=remote: its `istiod` Service points at cluster-1's gateway)
 *   cluster-3: a second primary (network-2), same root: multi-primary with cluster-1
 * Every `it` is one step of the guide, in order; each leaves what the next one needs.
 */

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOSTED = join(repoRoot, 'deploy', 'helm', 'meshpilot');
const MEMBER = join(repoRoot, 'deploy', 'helm', 'meshpilot-member');
/** Where member-cluster pods reach meshpilot (its Service's load-balancer address); a documentation address, never dialed. */
const MESHPILOT_ADDRESS = '192.0.2.10';
const CA_FILES = ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem'] as const;

const istioChart = (): string =>
  join(dirname(realKubeBinaries().istioCrds), '..', '..', 'istio-control', 'istio-discovery');

describe('from istiod to meshpilot (README guide) on real API servers', { timeout: 180_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let helm: Helm;
  let c1: RealKubeCluster;
  let c2: RealKubeCluster;
  let c3: RealKubeCluster;
  let clusters: RealKubeCluster[];
  let meshpilot: Runtime | undefined;
  let rootCertPem: string;

  const helmOn = (cluster: RealKubeCluster, args: readonly string[]): Promise<string> =>
    helm.ok([...args, '--kubeconfig', cluster.kubeconfigPath]);
  const getObject = async (cluster: RealKubeCluster, args: readonly string[]): Promise<KubeObject> =>
    JSON.parse(await cluster.kubectl(['get', ...args, '-o', 'json'])) as KubeObject;
  const names = async (cluster: RealKubeCluster, kind: string, namespace: string): Promise<string[]> =>
    (JSON.parse(await cluster.kubectl(['get', kind, '-n', namespace, '-o', 'json'])) as { items: KubeObject[] }).items
      .map((o) => o.metadata.name)
      .sort();
  const remoteSecret = async (cluster: RealKubeCluster, name: string): Promise<string> => {
    const run = await createRemoteSecretCli([
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--name',
      name,
      '--token-wait',
      '500',
    ]);
    if (run.code !== 0) throw new Error(`create-remote-secret ${name} failed: ${run.stderr}`);
    return run.secret;
  };

  beforeAll(async () => {
    dir = await tempDir('istiod-migration');
    helm = await Helm.create(dir.path);
    [c1, c2, c3] = await startRealKubeClusters(dir.path, [
      { name: 'cluster-1' },
      { name: 'cluster-2' },
      { name: 'cluster-3' },
    ]);
    clusters = [c1, c2, c3];
    // The Istio install being replaced: Istio's CRDs (the base chart's), a plug-in CA, istiod's chart per cluster.
    await Promise.all(
      clusters.map((cluster) => cluster.kubectl(['apply', '--server-side', '-f', realKubeBinaries().istioCrds])),
    );
    const now = Date.now();
    const root = await createTestRoot('Istio root (cacerts)', now);
    rootCertPem = root.pem;
    const mesh = { 'global.meshID': 'mesh1' };
    for (const [cluster, network, intermediateName] of [
      [c1, 'network-1', 'istiod cluster-1'],
      [c3, 'network-2', 'istiod cluster-3'],
    ] as const) {
      const intermediate = await createTestIntermediate(intermediateName, root, now);
      await cluster.kubectl(['create', 'namespace', 'istio-system']);
      await cluster.apply([
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'cacerts', namespace: 'istio-system' },
          stringData: {
            'ca-cert.pem': intermediate.pem,
            'ca-key.pem': await sec1KeyPem(intermediate.keys.privateKey),
            'root-cert.pem': root.pem,
            'cert-chain.pem': intermediate.pem + root.pem,
          },
        },
      ]);
      const set = { ...mesh, 'global.multiCluster.clusterName': cluster.name, 'global.network': network };
      await helmOn(cluster, [
        'install',
        'istiod',
        istioChart(),
        '-n',
        'istio-system',
        ...Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
      ]);
    }
    await helmOn(c2, [
      'install',
      'istiod',
      istioChart(),
      '-n',
      'istio-system',
      '--create-namespace',
      '--set',
      'profile=remote',
      '--set',
      'global.remotePilotAddress=192.0.2.1',
      '--set',
      'global.multiCluster.clusterName=cluster-2',
      '--set',
      'global.network=network-1',
    ]);
    // A workload in each member cluster, for the registry check.
    await Promise.all(
      clusters.map((cluster) =>
        cluster.apply([
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sample' } },
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: `hello-${cluster.name}`, namespace: 'sample' },
            spec: { selector: { app: 'hello' }, ports: [{ name: 'grpc', port: 5000 }] },
          },
        ]),
      ),
    );
  }, 300_000);

  afterAll(async () => {
    await meshpilot?.stop();
    await Promise.all((clusters ?? []).map((cluster) => cluster.stop()));
    await dir?.remove();
  }, 60_000);

  it('before: istiod serves every cluster (primary with its Deployment, remote with a Service to the primary)', async () => {
    expect(await names(c1, 'deployments', 'istio-system')).toEqual(['istiod']);
    expect(await names(c3, 'deployments', 'istio-system')).toEqual(['istiod']);
    expect(await names(c2, 'deployments', 'istio-system')).toEqual([]);
    const remote = await getObject(c2, ['endpointslice', 'istiod', '-n', 'istio-system']);
    expect(field<{ addresses: string[] }[]>(remote, 'endpoints').map((e) => e.addresses)).toEqual([['192.0.2.1']]);
  });

  it("step 1: the mesh root is kept: the CA files come out of istiod's cacerts Secret", async () => {
    const caDir = join(dir.path, 'cacerts');
    await mkdir(caDir);
    for (const file of CA_FILES) {
      // kubectl -n istio-system get secret cacerts -o jsonpath='{.data.ca-cert\.pem}' | base64 -d > ca-cert.pem
      const encoded = await c1.kubectl([
        '-n',
        'istio-system',
        'get',
        'secret',
        'cacerts',
        '-o',
        `jsonpath={.data.${file.replace('.', '\\.')}}`,
      ]);
      await writeFile(join(caDir, file), Buffer.from(encoded, 'base64'));
    }
    expect(await readFile(join(caDir, 'root-cert.pem'), 'utf8')).toBe(rootCertPem);
  });

  it('step 2: meshpilot-member goes beside istiod in every member cluster (the reader; no `istiod` Service yet)', async () => {
    for (const cluster of clusters)
      await helmOn(cluster, ['install', 'meshpilot-member', MEMBER, '-n', 'istio-system']);
    for (const cluster of clusters) {
      expect(await names(cluster, 'serviceaccounts', 'istio-system')).toContain('meshpilot-reader');
      const canRead = await cluster.kubectl([
        'auth',
        'can-i',
        'watch',
        'endpointslices.discovery.k8s.io',
        '-A',
        '--as',
        'system:serviceaccount:istio-system:meshpilot-reader',
      ]);
      expect(canRead.trim()).toBe('yes');
    }
    // istiod's own Service is untouched while it still serves.
    expect(field(await getObject(c1, ['service', 'istiod', '-n', 'istio-system']), 'spec', 'selector')).toEqual({
      app: 'istiod',
      istio: 'pilot',
    });
  });

  it("step 3: remote secrets: the config cluster's kubeconfig for meshpilot, every other member's in the config cluster", async () => {
    await c1.kubectl(['create', 'namespace', 'meshpilot']);
    // meshpilot create-remote-secret --kubeconfig cluster-1.kubeconfig --name cluster-1 \
    //   | sed 's/namespace: istio-system/namespace: meshpilot/; s/istio-remote-secret-cluster-1/meshpilot-config-cluster/'
    const own = (await remoteSecret(c1, 'cluster-1'))
      .replace('namespace: istio-system', 'namespace: meshpilot')
      .replace('istio-remote-secret-cluster-1', 'meshpilot-config-cluster');
    await c1.kubectl(['apply', '-f', '-'], { input: own });
    for (const [cluster, name] of [
      [c2, 'cluster-2'],
      [c3, 'cluster-3'],
    ] as const)
      await c1.kubectl(['apply', '-f', '-'], { input: await remoteSecret(cluster, name) });
    expect(await names(c1, 'secrets', 'meshpilot')).toEqual(['meshpilot-config-cluster']);
    const secrets = await names(c1, 'secrets', 'istio-system');
    expect(secrets).toEqual(expect.arrayContaining(['istio-remote-secret-cluster-2', 'istio-remote-secret-cluster-3']));
  });

  it('step 4: helm install meshpilot in the host cluster, with the mesh root and both networks', async () => {
    const values = join(dir.path, 'meshpilot-values.yaml');
    await writeFile(
      values,
      stringify({
        configCluster: { name: 'cluster-1', network: 'network-1' },
        service: { type: 'LoadBalancer', loadBalancerIP: MESHPILOT_ADDRESS },
        security: {
          servingDnsNames: ['istiod.istio-system.svc', 'meshpilot.meshpilot.svc', 'localhost'],
          servingIps: [MESHPILOT_ADDRESS],
        },
        config: {
          meshNetworks: {
            networks: {
              'network-1': {
                endpoints: [{ fromCidr: '10.1.0.0/16' }],
                gateways: [{ address: '192.0.2.1', port: 15443 }],
              },
              'network-2': {
                endpoints: [{ fromCidr: '10.3.0.0/16' }],
                gateways: [{ address: '192.0.2.3', port: 15443 }],
              },
            },
          },
        },
      }),
    );
    const caDir = join(dir.path, 'cacerts');
    await helmOn(c1, [
      'install',
      'meshpilot',
      HOSTED,
      '-n',
      'meshpilot',
      '-f',
      values,
      '--set',
      'ca.create=true',
      ...CA_FILES.flatMap((file) => ['--set-file', `ca.files.${file.replace('.', '\\.')}=${join(caDir, file)}`]),
    ]);
    const deployment = await getObject(c1, ['deployment', 'meshpilot', '-n', 'meshpilot']);
    expect(field(deployment, 'spec', 'replicas')).toBe(2);
    const service = await getObject(c1, ['service', 'meshpilot', '-n', 'meshpilot']);
    expect(field<{ port: number }[]>(service, 'spec', 'ports').map((p) => p.port)).toEqual([
      15010, 15012, 15014, 15017,
    ]);
    expect(await names(c1, 'poddisruptionbudgets', 'meshpilot')).toEqual(['meshpilot']);
    expect(await names(c1, 'secrets', 'meshpilot')).toEqual(
      expect.arrayContaining(['meshpilot-ca', 'meshpilot-config-cluster']),
    );
  });

  it('step 5: meshpilot, run as the Pod runs it (its ConfigMap and Secrets as files), reads every cluster and serves the old root as istiod', async () => {
    // What the Pod's volumes hold, read back from the API server.
    const mounts = join(dir.path, 'pod');
    await mkdir(join(mounts, 'config-cluster'), { recursive: true });
    await mkdir(join(mounts, 'ca'));
    const configMap = await getObject(c1, ['configmap', 'meshpilot', '-n', 'meshpilot']);
    for (const [secret, folder] of [
      ['meshpilot-config-cluster', 'config-cluster'],
      ['meshpilot-ca', 'ca'],
    ] as const) {
      const data = field<Record<string, string>>(await getObject(c1, ['secret', secret, '-n', 'meshpilot']), 'data');
      for (const [key, value] of Object.entries(data))
        await writeFile(join(mounts, folder, key), Buffer.from(value, 'base64'), { mode: 0o600 });
    }
    const text = field<string>(configMap, 'data', 'meshpilot.yaml').replaceAll('/etc/meshpilot/', `${mounts}/`);
    const config = parse(text) as Record<string, unknown>;
    // Loopback ports here instead of the Pod's 0.0.0.0:15010/15012/15014; the rest as rendered.
    config['listen'] = { xds: '127.0.0.1:0', xdsTls: '127.0.0.1:0', admin: '127.0.0.1:0' };
    config['logLevel'] = 'silent';
    const configPath = join(mounts, 'meshpilot.yaml');
    await writeFile(configPath, stringify(config));
    meshpilot = await startRuntimeFromConfigFile(configPath);
    const adminUrl = `http://127.0.0.1:${meshpilot.adminPort}`;

    const health = await until(
      async () => {
        const all = await clusterz(adminUrl);
        return all.length === 3 && all.every((c) => c.state === 'synced') ? all : undefined;
      },
      'cluster-1, cluster-2 (remote secret) and cluster-3 (remote secret) synced',
      60_000,
    );
    expect(health.map((c) => [c.name, c.source]).sort()).toEqual([
      ['cluster-1', 'kubeconfig'],
      ['cluster-2', 'remote-secret'],
      ['cluster-3', 'remote-secret'],
    ]);
    expect(health.find((c) => c.name === 'cluster-1')?.network).toBe('network-1');
    expect((await fetch(`${adminUrl}/readyz`)).status).toBe(200);
    // A kube cluster reads as synced before the debounced snapshot holding its services is published.
    const registry = await until(
      async () => {
        const answer = (await (await fetch(`${adminUrl}/debug/registryz`)).json()) as {
          services: { hostname: string; kubeClusters: string[] }[];
        };
        const hosts = new Set(answer.services.map((s) => s.hostname));
        return clusters.every((c) => hosts.has(`hello-${c.name}.sample.svc.cluster.local`)) ? answer : undefined;
      },
      'every kube cluster’s hello service in the registry',
      30_000,
    );
    for (const cluster of clusters)
      expect(
        registry.services.find((s) => s.hostname === `hello-${cluster.name}.sample.svc.cluster.local`)?.kubeClusters,
      ).toEqual([cluster.name]);

    // An injected proxy dials istiod.istio-system.svc:15012 and trusts only the mesh root: meshpilot's
    // serving certificate must pass that check, from the root istiod used.
    expect(meshpilot.security?.ca.rootCertPem()).toBe(rootCertPem);
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = connect(
        {
          host: '127.0.0.1',
          port: meshpilot?.xdsTlsPort ?? 0,
          servername: 'istiod.istio-system.svc',
          ca: rootCertPem,
          ALPNProtocols: ['h2'],
        },
        () => {
          resolve(socket.authorized);
          socket.destroy();
        },
      );
      socket.on('error', reject);
    });
    expect(authorized).toBe(true);
  });

  it('step 6: istiod goes; meshpilot-member points `istiod` at meshpilot in every member cluster', async () => {
    for (const cluster of clusters) {
      await helmOn(cluster, ['uninstall', 'istiod', '-n', 'istio-system']);
      await helmOn(cluster, [
        'upgrade',
        'meshpilot-member',
        MEMBER,
        '-n',
        'istio-system',
        '--reuse-values',
        '--set',
        `meshpilotAddress=${MESHPILOT_ADDRESS}`,
      ]);
    }
    for (const cluster of clusters) {
      expect(await names(cluster, 'deployments', 'istio-system')).toEqual([]);
      const service = await getObject(cluster, ['service', 'istiod', '-n', 'istio-system']);
      expect(field(service, 'spec', 'selector')).toBeUndefined();
      expect(
        field<{ port: number; targetPort: number }[]>(service, 'spec', 'ports').map((p) => [p.port, p.targetPort]),
      ).toEqual([
        [15012, 15012],
        [443, 15017],
      ]);
      const slices = parseObjects(
        await cluster.kubectl([
          'get',
          'endpointslices',
          '-n',
          'istio-system',
          '-l',
          'kubernetes.io/service-name=istiod',
          '-o',
          'yaml',
        ]),
      );
      const items = field<KubeObject[]>(slices[0], 'items');
      expect(items.map((s) => field<{ addresses: string[] }[]>(s, 'endpoints').map((e) => e.addresses))).toEqual([
        [[MESHPILOT_ADDRESS]],
      ]);
      // The reader and the remote secrets outlive istiod's release.
      expect(await names(cluster, 'serviceaccounts', 'istio-system')).toContain('meshpilot-reader');
    }
    // What istiod kept in every namespace, meshpilot keeps now: istio-ca-root-cert with the same root.
    for (const cluster of clusters) {
      const rootCert = await until(async () => {
        const answer = await cluster.get('/api/v1/namespaces/sample/configmaps/istio-ca-root-cert');
        return answer.status === 200 ? answer.body : undefined;
      }, `istio-ca-root-cert in ${cluster.name}/sample`);
      expect(field(JSON.parse(rootCert), 'data', 'root-cert.pem')).toBe(rootCertPem);
    }
    // meshpilot kept every cluster through the switch.
    const all = await clusterz(`http://127.0.0.1:${meshpilot?.adminPort ?? 0}`);
    expect(all.map((c) => [c.name, c.state])).toEqual(
      expect.arrayContaining([
        ['cluster-1', 'synced'],
        ['cluster-2', 'synced'],
        ['cluster-3', 'synced'],
      ]),
    );
  });

  it('rollback: helm uninstall meshpilot-member removes the `istiod` Service, and istiod installs again', async () => {
    await helmOn(c3, ['uninstall', 'meshpilot-member', '-n', 'istio-system']);
    expect(await names(c3, 'services', 'istio-system')).toEqual([]);
    await helmOn(c3, [
      'install',
      'istiod',
      istioChart(),
      '-n',
      'istio-system',
      '--set',
      'global.multiCluster.clusterName=cluster-3',
    ]);
    expect(await names(c3, 'deployments', 'istio-system')).toEqual(['istiod']);
  });
});

function field<T>(object: unknown, ...path: (string | number)[]): T {
  return path.reduce<unknown>(
    (node, key) => (node as Record<string | number, unknown> | undefined)?.[key],
    object,
  ) as T;
}
