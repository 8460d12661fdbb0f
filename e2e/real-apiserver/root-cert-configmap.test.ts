import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/mesh-fixture.ts';
import { startRealKubeClusters, type RealKubeCluster } from '../support/real-kube-cluster.ts';
import { createRemoteSecretCli, kubeconfigOfSecret, startRealMeshpilot, until } from '../support/real-meshpilot.ts';

/**
 * What istiod's namespace controller does, done by meshpilot for member kube clusters on real
 * kube-apiservers: `istio-ca-root-cert` (key root-cert.pem = meshpilot's root) in every namespace,
 * written with only the member-cluster role of deploy/member-cluster/; created for new namespaces,
 * repaired when edited or deleted, removed when the kube cluster leaves the mesh (its remote secret
 * is deleted). `config` is a configured kube cluster (kubeconfig), `member` joins by remote secret.
 */

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface ConfigMapAnswer {
  readonly metadata: { readonly labels?: Record<string, string>; readonly resourceVersion: string };
  readonly data?: Record<string, string>;
}

describe('istio-ca-root-cert in member kube clusters (real kube-apiservers)', { timeout: 120_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: RealKubeCluster;
  let member: RealKubeCluster;
  let meshpilot: Awaited<ReturnType<typeof startRealMeshpilot>>;
  let root: string;

  const rootCertOf = async (cluster: RealKubeCluster, namespace: string): Promise<ConfigMapAnswer | undefined> => {
    const answer = await cluster.get(`/api/v1/namespaces/${namespace}/configmaps/istio-ca-root-cert`);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`${cluster.name}: configmap read answered ${answer.status}`);
    return JSON.parse(answer.body) as ConfigMapAnswer;
  };
  const holdsRoot = (cluster: RealKubeCluster, namespace: string, what: string): Promise<ConfigMapAnswer> =>
    until(async () => {
      const configMap = await rootCertOf(cluster, namespace);
      return configMap?.data?.['root-cert.pem'] === root ? configMap : undefined;
    }, `${what} (${cluster.name}/${namespace})`);

  const readerKubeconfig = async (cluster: RealKubeCluster): Promise<string> => {
    const run = await createRemoteSecretCli([
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--name',
      cluster.name,
      '--token-wait',
      '500',
    ]);
    if (run.code !== 0) throw new Error(`create-remote-secret ${cluster.name} failed: ${run.stderr}`);
    return run.secret;
  };

  beforeAll(async () => {
    dir = await tempDir('root-cert-configmap');
    [config, member] = await startRealKubeClusters(dir.path, [{ name: 'config' }, { name: 'member' }]);
    await Promise.all(
      [config, member].map(async (cluster) => {
        await cluster.kubectl(['apply', '-f', join(repoRoot, 'deploy', 'member-cluster')]);
        await cluster.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sample' } }]);
      }),
    );
    const readers = join(dir.path, 'readers');
    await mkdir(readers);
    const configKubeconfig = join(readers, 'config.kubeconfig');
    await writeFile(configKubeconfig, kubeconfigOfSecret(await readerKubeconfig(config), 'config'), { mode: 0o600 });
    meshpilot = await startRealMeshpilot(dir.path, {
      clusters: [{ name: 'config', kubeconfig: configKubeconfig }],
      remoteSecrets: { cluster: 'config', namespace: 'istio-system' },
    });
    root = meshpilot.rootCertPem;
    await config.kubectl(['apply', '-f', '-'], { input: await readerKubeconfig(member) });
  }, 300_000);

  afterAll(async () => {
    await meshpilot?.stop();
    await Promise.all([config, member].map((cluster) => cluster?.stop()));
    await dir?.remove();
  }, 60_000);

  it("puts meshpilot's root in every namespace of every member kube cluster, as istiod does", async () => {
    for (const cluster of [config, member]) {
      for (const namespace of ['default', 'kube-system', 'istio-system', 'sample']) {
        const configMap = await holdsRoot(cluster, namespace, 'the root ConfigMap');
        expect(configMap.metadata.labels).toEqual({ 'istio.io/config': 'true' });
        expect(Object.keys(configMap.data ?? {})).toEqual(['root-cert.pem']);
      }
      // istiod skips kube-public and kube-node-lease.
      expect(await rootCertOf(cluster, 'kube-public')).toBeUndefined();
      expect(await rootCertOf(cluster, 'kube-node-lease')).toBeUndefined();
    }
    expect(root).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('creates it in a new namespace and repairs it when edited or deleted, keeping other keys', async () => {
    await member.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'late' } }]);
    await holdsRoot(member, 'late', 'the root ConfigMap in a namespace made later');

    const before = await holdsRoot(member, 'sample', 'the root ConfigMap before the edit');
    await member.call('PUT', '/api/v1/namespaces/sample/configmaps/istio-ca-root-cert', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio-ca-root-cert', namespace: 'sample', resourceVersion: before.metadata.resourceVersion },
      data: { 'root-cert.pem': 'tampered', extra: 'kept' },
    });
    const repaired = await holdsRoot(member, 'sample', 'the edited ConfigMap repaired');
    expect(repaired.data).toEqual({ 'root-cert.pem': root, extra: 'kept' });

    await member.kubectl(['delete', 'configmap', 'istio-ca-root-cert', '-n', 'default']);
    await holdsRoot(member, 'default', 'the deleted ConfigMap made again');
  });

  it('removes them from a kube cluster that leaves the mesh, and leaves the others alone', async () => {
    await holdsRoot(member, 'sample', 'the root ConfigMap while a member');
    await config.kubectl(['delete', 'secret', 'istio-remote-secret-member', '-n', 'istio-system']);
    for (const namespace of ['default', 'kube-system', 'istio-system', 'sample', 'late']) {
      await until(
        async () => ((await rootCertOf(member, namespace)) === undefined ? true : undefined),
        `the root ConfigMap removed from member/${namespace}`,
      );
    }
    // It stays gone (nothing keeps the left kube cluster any more), and the configured kube cluster keeps its own.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await rootCertOf(member, 'sample')).toBeUndefined();
    await holdsRoot(config, 'sample', 'the configured kube cluster keeps its ConfigMap');
  });
});
