import { afterAll, beforeAll, describe, it } from 'vitest';
import { EdsFollower } from './support/eds-follower.ts';
import {
  helloworld,
  HELLO_ENVOY_CLUSTER,
  HELLO_NAMESPACE,
  startSimCluster,
  type SimCluster,
} from './support/kube-sim-clusters.ts';
import { tempDir } from './support/mesh-fixture.ts';
import { startTestMeshpilot } from './support/meshpilot-process.ts';

/**
 * The registry under a fault a real API server cannot be made to show: watches cut silently (no final
 * event, no error). Everything else about live member kube clusters (kubectl changes, remote secrets,
 * restarts, 410 Gone, bookmarks, TokenReview, RBAC) runs on real kube-apiservers in e2e/real-apiserver/.
 */

const BASELINE = ['10.1.0.1:5000', '10.2.0.1:5000', '10.3.0.1:5000'];
const PROXY = 'sidecar~10.1.0.99~client-0.sample~sample.svc.cluster.local';
const sameSet = (expected: readonly string[]) => (addresses: readonly string[]) =>
  addresses.length === expected.length && [...expected].sort().every((a, i) => addresses[i] === a);

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
