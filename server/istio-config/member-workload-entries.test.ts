import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../e2e/support/mesh-fixture.ts';
import type { IstioConfigSet } from '../../model/istio/types.ts';
import { workloadEntryMembers } from './member-clusters.ts';
import { startConfigSources, type IstioConfigPlane } from './start-config-sources.ts';

const logger = pino({ level: 'silent' });

const workloadEntry = (address: string) => `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm, namespace: demo}
spec: {address: ${address}, labels: {app: vm}}
`;
const VIRTUAL_SERVICE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: member-vs, namespace: demo}
spec: {hosts: [vm], http: [{route: [{destination: {host: vm}}]}]}
`;
const ENVOY_FILTER = `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: member-filter, namespace: demo}
spec: {configPatches: []}
`;

describe("member kube clusters' WorkloadEntries (istiod's PILOT_ENABLE_CROSS_CLUSTER_WORKLOAD_ENTRY)", () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let plane: IstioConfigPlane | undefined;
  afterEach(async () => {
    await plane?.stop();
    await dir?.remove();
    plane = undefined;
    dir = undefined;
  });

  it('are every kube cluster but the config kube cluster and the `config:` cluster sources', () => {
    const clusters = ['c1', 'c2', 'c3', 'c4'].map((name) => ({ name, manifests: `/m/${name}` }));
    const members = workloadEntryMembers({ clusters, config: [{ manifests: '/istio' }, { cluster: 'c3' }] });
    expect(members.map((c) => c.name)).toEqual(['c2', 'c4']);
  });

  it('reads only the WorkloadEntries of a member folder, as its kube cluster, without conflicting with same-named ones', async () => {
    dir = await tempDir('member-workload-entries');
    const folders = {
      istio: join(dir.path, 'istio'),
      c1: join(dir.path, 'c1'),
      c2: join(dir.path, 'c2'),
      c3: join(dir.path, 'c3'),
    };
    for (const folder of Object.values(folders)) await mkdir(folder);
    await writeFile(join(folders.istio, 'vm.yaml'), workloadEntry('10.50.0.1'));
    await writeFile(join(folders.c1, 'vm.yaml'), workloadEntry('10.50.0.9'));
    await writeFile(
      join(folders.c2, 'vm.yaml'),
      `${workloadEntry('10.60.0.1')}---\n${VIRTUAL_SERVICE}---\n${ENVOY_FILTER}`,
    );
    await writeFile(join(folders.c3, 'vm.yaml'), workloadEntry('10.70.0.1'));
    let last: IstioConfigSet | undefined;
    plane = await startConfigSources({
      config: {
        clusters: [
          { name: 'c1', manifests: folders.c1 },
          { name: 'c2', manifests: folders.c2 },
          { name: 'c3', manifests: folders.c3 },
        ],
        config: [{ manifests: folders.istio }],
      },
      logger,
      fileResyncMs: 0,
      onChange: (set) => {
        last = set;
      },
    });
    const entries = (last ?? plane.current()).workloadEntries.map((we) => ({
      address: we.spec.address,
      origin: we.meta.origin.type === 'kube' ? `kube ${we.meta.origin.kubeCluster}` : 'file',
    }));
    // The config kube cluster's own folder (c1) is not read: it is not a config source.
    expect(entries).toEqual(
      expect.arrayContaining([
        { address: '10.50.0.1', origin: 'file' },
        { address: '10.60.0.1', origin: 'kube c2' },
        { address: '10.70.0.1', origin: 'kube c3' },
      ]),
    );
    expect(entries).toHaveLength(3);
    expect(plane.current().virtualServices).toEqual([]);
    const configz = plane.configz();
    expect(configz.rejected).toEqual([]);
    expect(configz.unsupported).toEqual([]);
    expect(configz.sources.map((s) => s.source)).toEqual([
      `manifests ${folders.istio}`,
      `WorkloadEntries of cluster c2 (manifests ${folders.c2})`,
      `WorkloadEntries of cluster c3 (manifests ${folders.c3})`,
    ]);
  });
});
