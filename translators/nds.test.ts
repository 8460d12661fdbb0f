import { describe, expect, it } from 'vitest';
import { NAME_TABLE_TYPE } from '../protos/type-urls.ts';
import { translateAll } from './index.ts';
import { onTheWire } from './test-support/golden.ts';
import { richSnapshot, richView } from './test-support/rich-snapshot.ts';

const snapshot = richSnapshot();
type Table = Record<string, { ips: string[]; registry: string; shortname: string; namespace: string }>;
function table(view = richView()): Table {
  const resources = translateAll(NAME_TABLE_TYPE, snapshot, view);
  expect(resources.map((r) => r.name)).toEqual(['']);
  return (onTheWire(resources[0]!) as { table: Table }).table;
}

describe('NDS name table', () => {
  it("lists every service of the mesh, including those only in another kube cluster, with its own kube cluster's VIP (as Istio)", () => {
    const east = table();
    expect(east['remote-only.default.svc.cluster.local']).toEqual({
      ips: ['10.200.0.2'],
      registry: 'Kubernetes',
      shortname: 'remote-only',
      namespace: 'default',
    });
    expect(east['app.default.svc.cluster.local']!.ips).toEqual(['10.0.0.1']);
    expect(table(richView({ kubeCluster: 'west', network: 'net-west' }))['app.default.svc.cluster.local']!.ips).toEqual(
      ['10.200.0.1'],
    );
    expect(Object.keys(east).sort()).toEqual(
      [
        'api.default',
        'app.default',
        'app.other',
        'db.default',
        'remote-only.default',
        'shared-a.default',
        'shared-b.default',
      ].map((h) => `${h}.svc.cluster.local`),
    );
  });

  it("resolves a headless service to its ready endpoints on the proxy's network only", () => {
    expect(table()['db.default.svc.cluster.local']!.ips).toEqual(['10.1.0.7']);
    expect(table(richView({ kubeCluster: 'west', network: 'net-west' }))['db.default.svc.cluster.local']!.ips).toEqual([
      '10.2.0.7',
    ]);
  });
});
