import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EdsFollower } from '../support/eds-follower.ts';
import { tempDir } from '../support/mesh-fixture.ts';
import { startRealKubeClusters, type RealKubeCluster } from '../support/real-kube-cluster.ts';
import { applyHelloworld, helloPods, HELLO_ENVOY_CLUSTER, HELLO_NAMESPACE } from '../support/real-mesh-fixture.ts';
import {
  clusterz,
  createRemoteSecretCli,
  kubeconfigOfSecret,
  startRealMeshpilot,
  until,
} from '../support/real-meshpilot.ts';

/**
 * Member kube clusters from a Karmada control plane, on two real kube-apiservers: `karmada` holds a
 * CRD for cluster.karmada.io/v1alpha1 Cluster (fixtures/karmada-cluster-crd.yaml, written from
 * Karmada's documented API), the Clusters and their Secrets; `member` holds helloworld and the
 * reader role of deploy/member-cluster/. meshpilot is given only the Karmada kubeconfig.
 */

const PROXY = 'sidecar~10.5.0.99~client-0.sample~sample.svc.cluster.local';
const SECRET_NAMESPACE = 'karmada-cluster';

describe('Karmada-managed member clusters on real kube-apiservers', { timeout: 120_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let karmada: RealKubeCluster;
  let member: RealKubeCluster;
  let meshpilot: Awaited<ReturnType<typeof startRealMeshpilot>>;
  let follower: EdsFollower;
  /** The reader's token and the member's CA (base64 PEM), as Karmada's cluster Secret holds them. */
  let credentials: { token: string; caBundle: string };

  const karmadaCluster = (
    name: string,
    spec: Record<string, unknown>,
    labels: Record<string, string> = {},
  ): Record<string, unknown> => ({
    apiVersion: 'cluster.karmada.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name, labels },
    spec,
  });

  beforeAll(async () => {
    dir = await tempDir('karmada');
    [karmada, member] = await startRealKubeClusters(dir.path, [{ name: 'karmada' }, { name: 'member' }]);
    await karmada.kubectl(['apply', '-f', join(import.meta.dirname, 'fixtures', 'karmada-cluster-crd.yaml')]);
    await karmada.waitForCrdsEstablished(['crd/clusters.cluster.karmada.io']);
    await member.kubectl(['apply', '-f', join(import.meta.dirname, '..', '..', 'deploy', 'member-cluster')]);
    await applyHelloworld(member, 'm', helloPods('m', ['10.5.0.1', '10.5.0.2']));
    // The reader's token through meshpilot's own create-remote-secret; Karmada's Secret holds token and caBundle.
    const run = await createRemoteSecretCli([
      '--kubeconfig',
      member.kubeconfigPath,
      '--name',
      'member',
      '--token-wait',
      '500',
    ]);
    if (run.code !== 0) throw new Error(`create-remote-secret failed: ${run.stderr}`);
    const reader = parse(kubeconfigOfSecret(run.secret, 'member')) as {
      clusters: { cluster: { 'certificate-authority-data': string } }[];
      users: { user: { token: string } }[];
    };
    credentials = {
      token: reader.users[0]?.user.token ?? '',
      caBundle: reader.clusters[0]?.cluster['certificate-authority-data'] ?? '',
    };
    await karmada.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRET_NAMESPACE } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'member-1', namespace: SECRET_NAMESPACE },
        data: { token: Buffer.from(credentials.token).toString('base64'), caBundle: credentials.caBundle },
      },
    ]);
    meshpilot = await startRealMeshpilot(dir.path, {
      clusters: [],
      karmada: { kubeconfig: karmada.kubeconfigPath },
      resyncMs: 3_600_000,
    });
    follower = EdsFollower.connect(
      meshpilot.xdsAddress,
      PROXY,
      { CLUSTER_ID: 'member-1', NAMESPACE: HELLO_NAMESPACE },
      HELLO_ENVOY_CLUSTER,
    );
  }, 300_000);

  afterAll(async () => {
    await follower?.close();
    await meshpilot?.stop();
    await Promise.all([karmada, member].map((cluster) => cluster?.stop()));
    await dir?.remove();
  }, 60_000);

  it('adds a Push-mode Cluster as a member kube cluster, with its network from the label, and removes it when the Cluster goes', async () => {
    // A Pull-mode Cluster has no reachable API server: skipped.
    await karmada.apply([karmadaCluster('pull-1', { syncMode: 'Pull' })]);
    await karmada.apply([
      karmadaCluster(
        'member-1',
        {
          syncMode: 'Push',
          apiEndpoint: member.url,
          secretRef: { namespace: SECRET_NAMESPACE, name: 'member-1' },
        },
        { 'topology.istio.io/network': 'network-east' },
      ),
    ]);
    const added = await follower.waitFor((addresses) => addresses.length === 2, 'member-1 endpoints through Karmada', {
      timeoutMs: 30_000,
    });
    expect(added.addresses).toEqual(['10.5.0.1:5000', '10.5.0.2:5000']);
    const health = await until(
      async () => (await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'member-1' && h.state === 'synced'),
      'member-1 synced',
    );
    expect(health).toMatchObject({ source: 'karmada', network: 'network-east' });
    expect((await clusterz(meshpilot.adminUrl)).map((h) => h.name)).toEqual(['member-1']);

    // The member's endpoints follow its API server, as for any member kube cluster.
    await applyHelloworld(member, 'm', helloPods('m', ['10.5.0.1', '10.5.0.2', '10.5.0.3']));
    await follower.waitFor((addresses) => addresses.length === 3, 'a third member endpoint');

    // The only kube cluster with helloworld goes: so does its Envoy cluster (CDS), as in Istio.
    expect(follower.clusters.at(-1)).toContain(HELLO_ENVOY_CLUSTER);
    await karmada.kubectl(['delete', 'clusters.cluster.karmada.io', 'member-1']);
    await until(
      async () => (follower.clusters.at(-1)?.includes(HELLO_ENVOY_CLUSTER) === false ? true : undefined),
      'helloworld gone from CDS',
    );
    await until(
      async () => ((await clusterz(meshpilot.adminUrl)).length === 0 ? true : undefined),
      'member-1 gone from /debug/clusterz',
    );
  });

  it('adds a Cluster whose Secret was missing once the Secret exists and the Cluster changes, and never shows the token', async () => {
    await karmada.apply([
      karmadaCluster('member-2', {
        syncMode: 'Push',
        apiEndpoint: member.url,
        secretRef: { namespace: SECRET_NAMESPACE, name: 'missing' },
      }),
    ]);
    // No Secret, no member kube cluster.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await clusterz(meshpilot.adminUrl)).some((h) => h.name === 'member-2')).toBe(false);
    // Once the Secret exists, the next change of the Cluster adds it.
    await karmada.apply([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'missing', namespace: SECRET_NAMESPACE },
        data: { token: Buffer.from(credentials.token).toString('base64'), caBundle: credentials.caBundle },
      },
    ]);
    await karmada.kubectl(['label', 'clusters.cluster.karmada.io', 'member-2', 'touched=yes']);
    await until(
      async () => (await clusterz(meshpilot.adminUrl)).find((h) => h.name === 'member-2' && h.state === 'synced'),
      'member-2 synced once its Secret exists',
    );
    const body = JSON.stringify(await clusterz(meshpilot.adminUrl));
    expect(body).not.toContain(credentials.token);
    await karmada.kubectl(['delete', 'clusters.cluster.karmada.io', 'member-2']);
    await until(async () => ((await clusterz(meshpilot.adminUrl)).length === 0 ? true : undefined), 'member-2 gone');
  });
});
