/**
 * A member kube cluster's WorkloadEntries read from a real kube-apiserver (istiod's
 * PILOT_ENABLE_CROSS_CLUSTER_WORKLOAD_ENTRY): without Istio's CRDs the member has none and the source is not
 * unhealthy; once the CRDs are installed and an entry applied, it is read as that kube cluster's.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfigSource } from '../../server/istio-config/kube-config-source.ts';
import { eventually } from '../support/eventually.ts';
import { tempDir } from '../support/mesh-fixture.ts';
import { realKubeBinaries, startRealKubeClusters, type RealKubeCluster } from '../support/real-kube-cluster.ts';

const FAST = { initialMs: 50, maxMs: 500, resetAfterMs: 60_000, jitter: 0 };

describe("a member kube cluster's WorkloadEntries on a real kube-apiserver", { timeout: 180_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let member: RealKubeCluster;
  let source: KubeConfigSource | undefined;

  beforeAll(async () => {
    dir = await tempDir('member-workload-entries');
    [member] = await startRealKubeClusters(dir.path, [{ name: 'member' }]);
  }, 180_000);

  afterAll(async () => {
    await source?.stop();
    await member?.stop();
    await dir?.remove();
  });

  it('has none while the CRD is absent, then reads the entries once it is installed', async () => {
    const logger = pino({ level: 'silent' });
    source = new KubeConfigSource({
      kubeCluster: 'member',
      kubeconfigPath: member.kubeconfigPath,
      logger,
      backoff: FAST,
      member: true,
    });
    await source.start(() => {});
    expect(source.health()).toMatchObject({ source: 'WorkloadEntries of cluster member', state: 'synced', objects: 0 });
    expect(source.health().lastError).toBeUndefined();

    await member.kubectl(['apply', '--server-side', '-f', realKubeBinaries().istioCrds]);
    await member.waitForCrdsEstablished();
    await member.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'WorkloadEntry',
        metadata: { name: 'vm', namespace: 'demo' },
        spec: { address: '10.60.0.1', network: 'n2', labels: { app: 'vm' } },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'not-read', namespace: 'demo' },
        spec: { host: 'vm' },
      },
    ]);
    await eventually(() => source?.current().length === 1, "the member's WorkloadEntry to be read", 60_000);
    expect(source.current().map((o) => ({ kind: o.kind, name: `${o.namespace}/${o.name}`, scope: o.scope }))).toEqual([
      { kind: 'WorkloadEntry', name: 'demo/vm', scope: 'member' },
    ]);
    expect(source.health().state).toBe('synced');
  });
});
