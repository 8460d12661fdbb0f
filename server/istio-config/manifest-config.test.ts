import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMeshpilot } from '../../e2e/support/meshpilot-process.ts';
import { tempDir, writeCluster } from '../../e2e/support/mesh-fixture.ts';
import type { ConfigzView } from './config-store.ts';
import { eventually } from '../../e2e/support/eventually.ts';

const GOOD_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: helloworld, namespace: default}
spec:
  hosts: [helloworld]
  http:
  - route:
    - {destination: {host: helloworld, subset: v1}, weight: 90}
    - {destination: {host: helloworld, subset: v2}, weight: 10}
`;
const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: default}
spec:
  host: helloworld
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;
const badVs = (weight: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken, namespace: default}
spec:
  hosts: [broken]
  http:
  - route:
    - {destination: {host: broken, subset: v1}, weight: 90}
    - {destination: {host: broken, subset: v2}, weight: ${weight}}
`;

const ENVOY_FILTER = `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: add-header, namespace: istio-system}
spec: {configPatches: []}
`;

describe('Istio config from a manifests folder', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  const configz = async (): Promise<ConfigzView> =>
    (await fetch(`${meshpilot.adminUrl}/debug/configz`)).json() as Promise<ConfigzView>;

  beforeAll(async () => {
    dir = await tempDir('istio-config');
    await writeCluster(join(dir.path, 'cluster-a'), [
      { name: 'helloworld', port: 5000, endpoints: [{ ip: '127.0.0.2' }] },
    ]);
    const istio = join(dir.path, 'istio');
    await mkdir(istio);
    await writeFile(join(istio, 'helloworld.yaml'), `${GOOD_VS}---\n${DR}`);
    await writeFile(join(istio, 'broken.yaml'), badVs(20));
    await writeFile(join(istio, 'filter.yaml'), ENVOY_FILTER);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [{ name: 'cluster-a', manifests: join(dir.path, 'cluster-a') }],
      config: [{ manifests: istio }],
    });
  });

  afterAll(async () => {
    await meshpilot?.stop();
    await dir?.remove();
  });

  it('rejects the invalid VirtualService alone, naming its field, and applies the others', async () => {
    const snapshot = meshpilot.cache.currentSnapshot();
    expect(snapshot?.istioConfig.virtualServices.map((v) => v.meta.name)).toEqual(['helloworld']);
    expect(snapshot?.istioConfig.destinationRules.map((d) => d.spec.subsets?.map((s) => s.name))).toEqual([
      ['v1', 'v2'],
    ]);

    const view = await configz();
    expect(view.accepted.map((a) => `${a.kind} ${a.namespace}/${a.name}`)).toEqual([
      'VirtualService default/helloworld',
      'DestinationRule default/helloworld',
    ]);
    expect(view.accepted[0]?.origin).toEqual({ type: 'file', path: join(dir.path, 'istio', 'helloworld.yaml') });
    expect(view.accepted[0]?.resourceVersion).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(view.rejected).toEqual([
      {
        kind: 'VirtualService',
        namespace: 'default',
        name: 'broken',
        origin: { type: 'file', path: join(dir.path, 'istio', 'broken.yaml') },
        resourceVersion: expect.stringMatching(/^sha256:/),
        code: 'MESHPILOT_ERR_ISTIO_CONFIG_INVALID',
        errors: [
          'spec.http[0].route: the weights of the 2 destinations sum to 110, expected 100 (or omit every weight for an equal split)',
        ],
      },
    ]);
    expect(view.sources).toEqual([
      expect.objectContaining({ source: `manifests ${join(dir.path, 'istio')}`, state: 'synced', objects: 3 }),
    ]);
    const metrics = await (await fetch(`${meshpilot.adminUrl}/metrics`)).text();
    expect(metrics).toContain('meshpilot_istio_config_rejected{kind="VirtualService"} 1');
    expect(metrics).toContain('meshpilot_istio_config_rejections_total{kind="VirtualService"} 1');
  });

  it('applies the object once the file is fixed (watched folder)', async () => {
    await writeFile(join(dir.path, 'istio', 'broken.yaml'), badVs(10));
    await eventually(async () => (await configz()).rejected.length === 0, 'the fixed VirtualService to be accepted');
    await eventually(
      async () => meshpilot.cache.currentSnapshot()?.istioConfig.virtualServices.length === 2,
      'the snapshot to carry it',
    );
    expect(meshpilot.cache.currentSnapshot()?.istioConfig.virtualServices.map((v) => v.meta.name)).toEqual([
      'broken',
      'helloworld',
    ]);
  });

  it('lists an EnvoyFilter as not supported on /debug/configz, beside the accepted objects', async () => {
    const view = await configz();
    expect(view.unsupported).toEqual([
      {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'EnvoyFilter',
        namespace: 'istio-system',
        name: 'add-header',
        origin: { type: 'file', path: join(dir.path, 'istio', 'filter.yaml') },
        reason:
          'not supported: EnvoyFilter (networking.istio.io) patches the generated Envoy config in Istio; meshpilot does not translate it and ignores it',
      },
    ]);
    expect(view.accepted.map((c) => c.kind)).toContain('VirtualService');
  });
});
