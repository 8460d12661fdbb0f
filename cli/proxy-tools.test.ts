import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsTestClient, node } from '../e2e/support/ads-client.ts';
import { startTestMeshpilot } from '../e2e/support/meshpilot-process.ts';
import { tempDir, writeCluster } from '../e2e/support/mesh-fixture.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../protos/type-urls.ts';
import { runProxyConfig } from './proxy-config.ts';
import { runProxyStatus } from './proxy-status.ts';

const PROXY = 'sidecar~127.0.0.9~client-0.default~default.svc.cluster.local';
const HOST = 'helloworld.default.svc.cluster.local';

function capture(): { out: { write(text: string): void }; text: () => string } {
  let text = '';
  return { out: { write: (chunk: string) => void (text += chunk) }, text: () => text };
}

describe('proxy-status and proxy-config against a running meshpilot', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let client: AdsTestClient;

  beforeAll(async () => {
    dir = await tempDir('proxy-tools');
    await writeCluster(join(dir.path, 'a'), [{ name: 'helloworld', port: 5000, endpoints: [{ ip: '127.0.0.2' }] }]);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [{ name: 'cluster-a', manifests: join(dir.path, 'a') }],
    });
    client = new AdsTestClient(meshpilot.xdsAddress);
    const subscriptions: [string, string[], boolean][] = [
      [CLUSTER_TYPE, [], true],
      [ENDPOINT_TYPE, [`outbound|5000||${HOST}`], true],
      [LISTENER_TYPE, [`${HOST}:5000`], true],
      [ROUTE_TYPE, [`${HOST}:5000`], false],
    ];
    for (const [typeUrl, names, ack] of subscriptions) {
      client.send({
        node: node(PROXY, { GENERATOR: 'grpc', CLUSTER_ID: 'cluster-a' }),
        type_url: typeUrl,
        resource_names: names,
      });
      const response = await client.responses.next();
      // RDS is left un-ACKed on purpose: proxy-status must show it STALE.
      if (ack)
        client.send({
          type_url: typeUrl,
          version_info: response.version_info,
          response_nonce: response.nonce,
          resource_names: names,
        });
    }
    await client.responses.quiet(100);
  });

  afterAll(async () => {
    client.close();
    await meshpilot.stop();
    await dir.remove();
  });

  it('proxy-status shows each type as SYNCED, STALE or NOT SENT', async () => {
    const { out, text } = capture();
    expect(await runProxyStatus(meshpilot.adminUrl, out)).toBe(0);
    const [header, row] = text().trim().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual([
      'NAME',
      'CLUSTER',
      'NETWORK',
      'CDS',
      'LDS',
      'EDS',
      'RDS',
      'SDS',
      'STREAM',
    ]);
    expect(row!.split(/\s{2,}/)).toEqual([
      PROXY,
      'cluster-a',
      '-',
      'SYNCED',
      'SYNCED',
      'SYNCED',
      'STALE',
      'IGNORED',
      'sotw',
    ]);
  });

  it('proxy-config prints clusters, endpoints, listeners and routes as tables', async () => {
    const clusters = capture();
    await runProxyConfig(meshpilot.adminUrl, 'clusters', PROXY, clusters.out);
    expect(clusters.text()).toMatch(
      new RegExp(`${HOST.replaceAll('.', '\\.')}\\s+5000\\s+-\\s+outbound\\s+EDS\\s+ROUND_ROBIN`),
    );
    const endpoints = capture();
    await runProxyConfig(meshpilot.adminUrl, 'endpoints', PROXY, endpoints.out);
    expect(endpoints.text()).toMatch(/127\.0\.0\.2:5000\s+HEALTHY\s+0\s+1\s+-\s+outbound\|5000\|\|helloworld/);
    const listeners = capture();
    await runProxyConfig(meshpilot.adminUrl, 'listeners', PROXY, listeners.out);
    expect(listeners.text()).toContain(`${HOST}:5000`);
    const routes = capture();
    await runProxyConfig(meshpilot.adminUrl, 'routes', PROXY, routes.out);
    expect(routes.text()).toMatch(
      new RegExp(`${HOST.replaceAll('.', '\\.')}:5000\\s+${HOST.replaceAll('.', '\\.')}:5000`),
    );
  });

  it('proxy-config -o json prints the Envoy config dump section', async () => {
    const { out, text } = capture();
    await runProxyConfig(meshpilot.adminUrl, 'clusters', PROXY, out, 'json');
    const section = JSON.parse(text()) as { '@type': string; dynamic_active_clusters: { cluster: { name: string } }[] };
    expect(section['@type']).toBe('type.googleapis.com/envoy.admin.v3.ClustersConfigDump');
    expect(section.dynamic_active_clusters.map((c) => c.cluster.name)).toContain(`outbound|5000||${HOST}`);
  });

  it('says which proxy is unknown, and exits 1 from the command line', async () => {
    await expect(runProxyConfig(meshpilot.adminUrl, 'clusters', 'nobody', capture().out)).rejects.toThrow(
      /no connected proxy "nobody" \(give a node id or <pod>.<namespace>/,
    );
    const child = spawn(process.execPath, [
      join(import.meta.dirname, '..', 'bin', 'meshpilot-ts.js'),
      'proxy-status',
      '--admin',
      'http://127.0.0.1:1',
    ]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: cannot reach meshpilot admin at http:\/\/127\.0\.0\.1:1/);
  });
});
