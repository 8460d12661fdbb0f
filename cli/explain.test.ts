import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsTestClient, node } from '../e2e/support/ads-client.ts';
import { startTestMeshpilot } from '../e2e/support/meshpilot-process.ts';
import { tempDir, writeCluster } from '../e2e/support/mesh-fixture.ts';
import { CLUSTER_TYPE } from '../protos/type-urls.ts';
import { runExplain } from './explain.ts';

const PROXY = 'sidecar~127.0.0.9~client-0.default~default.svc.cluster.local';
const MTLS = { 'security.istio.io/tlsMode': 'istio' };

describe('meshpilot explain', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let client: AdsTestClient;

  beforeAll(async () => {
    dir = await tempDir('explain');
    const hello = (endpoints: { ip: string; node: string; labels?: Record<string, string> }[]) => [
      { name: 'helloworld', port: 5000, endpoints },
    ];
    await writeCluster(join(dir.path, 'a'), hello([{ ip: '127.0.0.2', node: 'na', labels: MTLS }]), [
      { name: 'na', region: 'cn', zone: 'z1' },
    ]);
    await writeCluster(
      join(dir.path, 'b'),
      hello([
        { ip: '10.0.0.5', node: 'nb', labels: MTLS },
        { ip: '10.0.0.6', node: 'nb' },
      ]),
      [{ name: 'nb', region: 'cn', zone: 'z2' }],
    );
    await writeCluster(join(dir.path, 'c'), hello([{ ip: '10.1.0.5', node: 'nc', labels: MTLS }]), [
      { name: 'nc', region: 'eu', zone: 'z9' },
    ]);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [
        { name: 'cluster-a', network: 'net-a', manifests: join(dir.path, 'a') },
        { name: 'cluster-b', network: 'net-b', manifests: join(dir.path, 'b') },
        { name: 'cluster-c', network: 'net-c', manifests: join(dir.path, 'c') },
      ],
      meshNetworks: {
        networks: {
          'net-b': { endpoints: [{ fromRegistry: 'cluster-b' }], gateways: [{ address: '192.168.0.10', port: 15443 }] },
        },
      },
    });
    client = new AdsTestClient(meshpilot.xdsAddress);
    client.send({
      node: node(PROXY, { CLUSTER_ID: 'cluster-a', NETWORK: 'net-a' }, { region: 'cn', zone: 'z1' }),
      type_url: CLUSTER_TYPE,
    });
    await client.responses.next();
  });

  afterAll(async () => {
    client.close();
    await meshpilot.stop();
    await dir.remove();
  });

  it('says for each endpoint whether it is local, behind a gateway or dropped, and why it has its priority', async () => {
    let text = '';
    expect(
      await runExplain(meshpilot.adminUrl, PROXY, 'helloworld.default', { write: (t) => void (text += t) }, 'json'),
    ).toBe(0);
    const result = JSON.parse(text) as {
      service: string;
      endpoints: { workload: string; outcome: string; sentAs: string[]; priority?: number; reason: string }[];
    };
    expect(result.service).toBe('helloworld.default.svc.cluster.local');
    const byWorkload = Object.fromEntries(result.endpoints.map((e) => [e.workload, e]));
    expect(byWorkload['127.0.0.2:5000']).toMatchObject({ outcome: 'local', sentAs: ['127.0.0.2:5000'], priority: 0 });
    expect(byWorkload['127.0.0.2:5000']!.reason).toMatch(
      /sent as is: network net-a, proxy network net-a .*priority 0: .*without outlier detection: one priority/,
    );
    expect(byWorkload['10.0.0.5:5000']).toMatchObject({
      outcome: 'via-gateway',
      sentAs: ['192.168.0.10:15443'],
      priority: 0,
    });
    expect(byWorkload['10.0.0.5:5000']!.reason).toMatch(/rewritten to 1 gateway\(s\) of network net-b.*priority 0/);
    expect(byWorkload['10.0.0.6:5000']).toMatchObject({ outcome: 'dropped', sentAs: [] });
    expect(byWorkload['10.0.0.6:5000']!.reason).toMatch(/no Istio mTLS/);
    // As Istio: a network without gateways is treated as directly reachable.
    expect(byWorkload['10.1.0.5:5000']).toMatchObject({ outcome: 'local', sentAs: ['10.1.0.5:5000'] });
    expect(byWorkload['10.1.0.5:5000']!.reason).toMatch(
      /network without gateways, which Istio treats as directly reachable/,
    );
  });

  it('prints a table, and names an unknown service', async () => {
    let text = '';
    await runExplain(meshpilot.adminUrl, PROXY, 'helloworld.default.svc.cluster.local', {
      write: (t) => void (text += t),
    });
    expect(text).toMatch(
      /^service helloworld\.default\.svc\.cluster\.local as seen by .* \(network net-a, locality cn\/z1\)/,
    );
    expect(text).toMatch(
      /10\.0\.0\.5:5000\s+cluster-b\s+net-b\s+cn\/z2\s+via-gateway\s+192\.168\.0\.10:15443\s+0\s+rewritten/,
    );
    await expect(runExplain(meshpilot.adminUrl, PROXY, 'nope.default', { write: () => {} })).rejects.toThrow(
      /404 no service nope.default in the mesh/,
    );
  });
});
