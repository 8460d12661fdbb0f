import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SnapshotDelta } from '../model/snapshot-delta.ts';
import type { ConfigzView } from '../server/istio-config/config-store.ts';
import { startKubeSim, type KubeSim } from '../kube-sim/index.ts';
import { tempDir } from './support/mesh-fixture.ts';
import { startTestMeshpilot } from './support/meshpilot-process.ts';
import { AdsTestClient, node, type DecodedResponse } from './support/ads-client.ts';
import { serviceManifests } from './support/mesh-fixture.ts';
import { CLUSTER_TYPE } from '../protos/type-urls.ts';
import { eventually } from './support/eventually.ts';

const KUBECTL = '/usr/bin/kubectl';
function hasKubectl(): boolean {
  try {
    accessSync(KUBECTL, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
const kubectlPresent = hasKubectl();
if (!kubectlPresent)
  console.warn(
    `Istio config-cluster e2e SKIPPED: ${KUBECTL} is missing (Debian package kubernetes-client provides it)`,
  );

const destinationRule = (subsets: readonly string[], extra = '') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: sample}
spec:
  host: helloworld.sample.svc.cluster.local
  trafficPolicy:
    connectionPool: {http: {maxRequestsPerConnection: 1}}${extra}
  subsets:
${subsets.map((s) => `  - {name: ${s}, labels: {version: ${s}}}`).join('\n')}
`;

describe.skipIf(!kubectlPresent)('Istio config from a config kube cluster (kube-sim + kubectl)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let sim: KubeSim;
  let kubeconfig: string;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let setSnapshot: ReturnType<typeof vi.spyOn>;

  const configz = async (): Promise<ConfigzView> =>
    (await fetch(`${meshpilot.adminUrl}/debug/configz`)).json() as Promise<ConfigzView>;
  const kubectl = (...args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        KUBECTL,
        ['--kubeconfig', kubeconfig, '--cache-dir', join(dir.path, 'kube-cache'), ...args],
        { timeout: 20_000, env: { ...process.env, HOME: dir.path } },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`));
          else resolve(stdout);
        },
      );
    });
  const apply = async (name: string, yamlText: string): Promise<void> => {
    const file = join(dir.path, `${name}.yaml`);
    await writeFile(file, yamlText);
    await kubectl('apply', '-f', file);
  };
  const snapshotRules = () => meshpilot.cache.currentSnapshot()?.istioConfig.destinationRules ?? [];
  const deltas = (): SnapshotDelta[] => setSnapshot.mock.calls.map((call: unknown[]) => call[1] as SnapshotDelta);

  beforeAll(async () => {
    dir = await tempDir('istio-config-cluster');
    sim = await startKubeSim({ clusterName: 'config', bookmarkIntervalMs: 200 });
    sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sample' } });
    kubeconfig = join(dir.path, 'config.kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [{ name: 'config', kubeconfig }],
      config: [{ cluster: 'config' }],
      readiness: { remoteClusterTimeoutMs: 0 },
    });
    setSnapshot = vi.spyOn(meshpilot.cache, 'setSnapshot');
  });

  afterAll(async () => {
    await meshpilot?.stop();
    await sim?.stop();
    await dir?.remove();
  });

  it('a DestinationRule applied with kubectl reaches the snapshot; a change is a config delta; deleting it removes it', async () => {
    expect((await configz()).sources).toEqual([
      expect.objectContaining({ source: 'cluster config', state: 'synced', objects: 0 }),
    ]);

    await apply('dr-v1', destinationRule(['v1']));
    await eventually(() => snapshotRules().length === 1, 'the DestinationRule in the snapshot');
    const stored = sim.get('networking.istio.io/v1', 'DestinationRule', 'sample', 'helloworld');
    const view = await configz();
    expect(view.accepted).toEqual([
      {
        kind: 'DestinationRule',
        namespace: 'sample',
        name: 'helloworld',
        origin: { type: 'kube', kubeCluster: 'config' },
        resourceVersion: stored?.metadata.resourceVersion,
      },
    ]);
    expect(snapshotRules()[0]?.spec).toEqual({
      host: 'helloworld.sample.svc.cluster.local',
      trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } },
      subsets: [{ name: 'v1', labels: { version: 'v1' } }],
    });
    expect(deltas().some((d) => d.config === true)).toBe(true);

    setSnapshot.mockClear();
    await apply('dr-v2', destinationRule(['v1', 'v2']));
    await eventually(() => snapshotRules()[0]?.spec.subsets?.length === 2, 'the changed DestinationRule');
    expect(deltas().map((d) => ({ config: d.config, full: d.full }))).toContainEqual({ config: true, full: false });

    setSnapshot.mockClear();
    await kubectl('delete', 'destinationrule', 'helloworld', '-n', 'sample');
    await eventually(() => snapshotRules().length === 0, 'the deleted DestinationRule to leave the snapshot');
    expect((await configz()).accepted).toEqual([]);
    expect(deltas().some((d) => d.config === true)).toBe(true);
  });

  it('a DestinationRule applied with kubectl changes the CDS pushed to a connected proxy', async () => {
    for (const object of serviceManifests({
      name: 'helloworld',
      namespace: 'sample',
      port: 5000,
      clusterIP: '10.96.0.10',
      endpoints: [{ ip: '10.1.0.1', labels: { version: 'v1' } }],
    }))
      sim.apply(object);
    const client = new AdsTestClient(meshpilot.xdsAddress);
    try {
      client.send({
        node: node('sidecar~10.9.0.1~client.sample~sample.svc.cluster.local', { CLUSTER_ID: 'config' }),
        type_url: CLUSTER_TYPE,
      });
      const names = async (want: (names: string[]) => boolean): Promise<DecodedResponse> => {
        for (let i = 0; i < 50; i += 1) {
          const response = await client.responses.next(10_000);
          client.send({ type_url: CLUSTER_TYPE, version_info: response.version_info, response_nonce: response.nonce });
          if (want(response.names)) return response;
        }
        throw new Error('no CDS response with the expected clusters');
      };
      await names((n) => n.includes('outbound|5000||helloworld.sample.svc.cluster.local'));
      await apply('dr-subsets', destinationRule(['v1', 'v2']));
      const withSubsets = await names((n) => n.includes('outbound|5000|v2|helloworld.sample.svc.cluster.local'));
      expect(withSubsets.names).toContain('outbound|5000|v1|helloworld.sample.svc.cluster.local');
      const main = withSubsets.resources.find((r) => r.name === 'outbound|5000||helloworld.sample.svc.cluster.local');
      expect(JSON.stringify(main)).toContain('"max_requests_per_connection":{"value":1}');
      await kubectl('delete', 'destinationrule', 'helloworld', '-n', 'sample');
      const without = await names((n) => !n.some((name) => name.includes('|v1|')));
      expect(without.names).toContain('outbound|5000||helloworld.sample.svc.cluster.local');
    } finally {
      client.close();
    }
  });

  it('rejects an invalid object applied with kubectl alone, and keeps the valid one', async () => {
    await apply('dr-ok', destinationRule(['v1']));
    await apply(
      'dr-bad',
      destinationRule(['v1'])
        .replace('name: helloworld', 'name: broken')
        .replace('maxRequestsPerConnection: 1', 'maxRequestsPerConnection: -5'),
    );
    await eventually(
      async () => (await configz()).rejected.length === 1 && snapshotRules().length === 1,
      'the invalid DestinationRule to be rejected',
    );
    const view = await configz();
    expect(view.rejected[0]).toMatchObject({
      name: 'broken',
      code: 'MESHPILOT_ERR_ISTIO_CONFIG_INVALID',
      errors: ['spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection: must be >= 0, got -5'],
    });
    expect(snapshotRules().map((r) => r.meta.name)).toEqual(['helloworld']);
    await kubectl('delete', 'destinationrule', 'broken', '-n', 'sample');
    await eventually(async () => (await configz()).rejected.length === 0, 'the reject to go with its object');
  });

  it('recovers from dropped watches and a 410, reconciling a deletion it never saw as an event', async () => {
    await eventually(() => snapshotRules().length === 1, 'the DestinationRule from the previous test');
    sim.faults.force410(7);
    sim.faults.cutWatches();
    sim.remove('networking.istio.io/v1', 'DestinationRule', 'sample', 'helloworld');
    sim.apply({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'deny-all', namespace: 'sample' },
      spec: { action: 'DENY', rules: [{}] },
    });
    await eventually(
      () =>
        snapshotRules().length === 0 &&
        meshpilot.cache.currentSnapshot()?.istioConfig.authorizationPolicies.length === 1,
      'reconciliation after the re-list',
      20_000,
    );
    await eventually(
      async () => (await configz()).sources[0]?.state === 'synced',
      'the source to report synced again',
      20_000,
    );
  });

  it('accepts an Istio Gateway applied with kubectl, and lists a RequestAuthentication as not supported while the CRDs the cluster lacks (EnvoyFilter) keep it synced', async () => {
    await apply(
      'gateway',
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: cross-network-gateway, namespace: sample}
spec:
  selector: {istio: eastwestgateway}
  servers:
  - port: {number: 15443, name: tls, protocol: TLS}
    tls: {mode: AUTO_PASSTHROUGH}
    hosts: ['*.local']
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: sample}
spec:
  jwtRules: [{issuer: "https://example.com"}]
`,
    );
    await eventually(
      async () =>
        (await configz()).unsupported.length === 1 &&
        (meshpilot.cache.currentSnapshot()?.istioConfig.gateways.length ?? 0) === 1,
      'the Gateway accepted and the RequestAuthentication listed as not supported',
    );
    const view = await configz();
    // AUTO_PASSTHROUGH is translated: no warning.
    expect(view.accepted.filter((a) => a.kind === 'Gateway').map((a) => a.warnings)).toEqual([undefined]);
    expect(view.accepted.filter((a) => a.kind === 'Gateway')).toMatchObject([
      {
        kind: 'Gateway',
        namespace: 'sample',
        name: 'cross-network-gateway',
        origin: { type: 'kube', kubeCluster: 'config' },
      },
    ]);
    expect(view.unsupported[0]).toMatchObject({
      apiVersion: 'security.istio.io/v1',
      kind: 'RequestAuthentication',
      namespace: 'sample',
      name: 'jwt',
      origin: { type: 'kube', kubeCluster: 'config' },
      reason: expect.stringMatching(/^not supported: RequestAuthentication \(security\.istio\.io\)/),
    });
    expect(view.sources[0]?.state).toBe('synced');
    await kubectl('delete', 'gateway.networking.istio.io', 'cross-network-gateway', '-n', 'sample');
    await kubectl('delete', 'requestauthentication', 'jwt', '-n', 'sample');
    await eventually(
      async () =>
        (await configz()).unsupported.length === 0 &&
        meshpilot.cache.currentSnapshot()?.istioConfig.gateways.length === 0,
      'the Gateway and the RequestAuthentication to go',
    );
  });
});
