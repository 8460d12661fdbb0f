import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsTestClient, node } from '../../e2e/support/ads-client.ts';
import { startTestMeshpilot } from '../../e2e/support/meshpilot-process.ts';
import { tempDir, writeCluster } from '../../e2e/support/mesh-fixture.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';

const PROXY_ID = 'sidecar~127.0.0.9~client-0.default~default.svc.cluster.local';
const HELLO_CLUSTER = 'outbound|5000||helloworld.default.svc.cluster.local';

describe('admin HTTP', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let client: AdsTestClient;
  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${meshpilot.adminUrl}${path}`);
    const text = await response.text();
    return {
      status: response.status,
      body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };

  beforeAll(async () => {
    dir = await tempDir('admin');
    await writeCluster(join(dir.path, 'cluster-a'), [
      { name: 'helloworld', port: 5000, endpoints: [{ ip: '127.0.0.2' }, { ip: '127.0.0.3' }] },
    ]);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [{ name: 'cluster-a', network: 'net-a', manifests: join(dir.path, 'cluster-a') }],
    });
    client = new AdsTestClient(meshpilot.xdsAddress);
    client.send({ node: node(PROXY_ID, { CLUSTER_ID: 'cluster-a' }), type_url: CLUSTER_TYPE });
    await client.responses.next();
    client.send({ type_url: ENDPOINT_TYPE, resource_names: [HELLO_CLUSTER] });
    await client.responses.next();
  });

  afterAll(async () => {
    client.close();
    await meshpilot.stop();
    await dir.remove();
  });

  it('serves health and readiness', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('dumps what a proxy was sent as an Envoy ConfigDump', async () => {
    const { status, body } = await get(`/debug/config_dump?proxyID=${encodeURIComponent(PROXY_ID)}`);
    expect(status).toBe(200);
    const configs = (body as { configs: Record<string, unknown>[] }).configs;
    const clusters = configs.find((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump') as {
      dynamic_active_clusters: { cluster: Record<string, unknown> }[];
    };
    const hello = clusters.dynamic_active_clusters.find((c) => c.cluster.name === HELLO_CLUSTER);
    expect(hello?.cluster['@type']).toBe(CLUSTER_TYPE);
    const endpoints = configs.find((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump') as {
      dynamic_endpoint_configs: { endpoint_config: unknown }[];
    };
    const text = JSON.stringify(endpoints.dynamic_endpoint_configs[0]!.endpoint_config);
    expect(text).toContain('127.0.0.2');
    expect(text).toContain('127.0.0.3');
  });

  it('says what is wrong with a config_dump request', async () => {
    expect((await get('/debug/config_dump')).status).toBe(400);
    expect(await get('/debug/config_dump?proxyID=nobody')).toEqual({
      status: 404,
      body: { error: 'no connected proxy with id nobody' },
    });
  });

  it('shows the registry, endpoints and kube cluster health', async () => {
    const registry = (await get('/debug/registryz')).body as {
      services: { hostname: string; endpoints: Record<string, number> }[];
    };
    expect(registry.services).toEqual([
      expect.objectContaining({ hostname: 'helloworld.default.svc.cluster.local', endpoints: { 5000: 2 } }),
    ]);
    const endpoints = (await get('/debug/endpointz')).body as Record<
      string,
      Record<string, { address: string; network: string }[]>
    >;
    expect(endpoints['helloworld.default.svc.cluster.local']!['5000']!.map((e) => [e.address, e.network])).toEqual([
      ['127.0.0.2', 'net-a'],
      ['127.0.0.3', 'net-a'],
    ]);
    const clusters = (await get('/debug/clusterz')).body as { name: string; state: string }[];
    expect(clusters).toEqual([expect.objectContaining({ name: 'cluster-a', state: 'synced', network: 'net-a' })]);
  });

  it('exports Prometheus metrics with the connected stream and pushes', async () => {
    const { body } = await get('/metrics');
    expect(body).toMatch(/pilot_xds\{version="[^"]*",kind="sotw"\} 1/);
    expect(body).toMatch(/pilot_xds_pushes\{type="cds"\} 1/);
    expect(body).toMatch(/pilot_xds_pushes\{type="eds"\} 1/);
  });
});
