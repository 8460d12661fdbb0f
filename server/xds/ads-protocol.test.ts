import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdsTestClient, node } from '../../e2e/support/ads-client.ts';
import { startTestMeshpilot } from '../../e2e/support/meshpilot-process.ts';
import { tempDir, writeCluster, type FixtureService } from '../../e2e/support/mesh-fixture.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../protos/type-urls.ts';
import { ADS_SERVICE } from './xds-server.ts';

const HELLO = 'helloworld.default.svc.cluster.local';
const HELLO_CLUSTER = `outbound|5000||${HELLO}`;
const GRPC_NODE = node('sidecar~127.0.0.9~client-0.default~default.svc.cluster.local', {
  GENERATOR: 'grpc',
  CLUSTER_ID: 'cluster-a',
});

function hello(ips: string[]): FixtureService {
  return { name: 'helloworld', port: 5000, endpoints: ips.map((ip) => ({ ip })) };
}

describe('ADS protocol over real gRPC', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  const clients: AdsTestClient[] = [];
  const clusterDir = (): string => join(dir.path, 'cluster-a');
  const connect = (mode: 'sotw' | 'delta' = 'sotw'): AdsTestClient => {
    const client = new AdsTestClient(meshpilot.xdsAddress, mode);
    clients.push(client);
    return client;
  };
  const syncz = async (): Promise<Record<string, unknown>[]> =>
    (await fetch(`${meshpilot.adminUrl}/debug/syncz`)).json() as Promise<Record<string, unknown>[]>;

  beforeEach(async () => {
    dir = await tempDir('ads');
    await writeCluster(clusterDir(), [hello(['127.0.0.2'])]);
    meshpilot = await startTestMeshpilot(dir.path, { clusters: [{ name: 'cluster-a', manifests: clusterDir() }] });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await meshpilot.stop();
    await dir.remove();
  });

  it('answers a wildcard CDS request, takes the ACK and sends nothing more', async () => {
    const client = connect();
    client.send({ node: GRPC_NODE, type_url: CLUSTER_TYPE, resource_names: [] });
    const response = await client.responses.next();
    expect(response.type_url).toBe(CLUSTER_TYPE);
    expect(response.names).toEqual([HELLO_CLUSTER]);
    expect(response.nonce).not.toBe('');
    client.send({
      type_url: CLUSTER_TYPE,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: [],
    });
    expect(await client.responses.quiet(300)).toBe(true);
    const [status] = await syncz();
    expect((status!.types as Record<string, { ackedVersion: string; status: string }>).cds).toMatchObject({
      ackedVersion: response.version_info,
      status: 'SYNCED',
    });
  });

  it('records a NACK with its message in /debug/syncz and does not resend', async () => {
    const client = connect();
    client.send({ node: GRPC_NODE, type_url: CLUSTER_TYPE });
    const response = await client.responses.next();
    client.send({
      type_url: CLUSTER_TYPE,
      version_info: '',
      response_nonce: response.nonce,
      error_detail: { code: 3, message: 'cluster rejected: bad lb policy' },
    });
    expect(await client.responses.quiet(300)).toBe(true);
    const [status] = await syncz();
    const cds = (status!.types as Record<string, { status: string; lastNack: { message: string; nonce: string } }>)
      .cds!;
    expect(cds.status).toBe('NACKED');
    expect(cds.lastNack).toMatchObject({ message: 'cluster rejected: bad lb policy', nonce: response.nonce });
    const metrics = await (await fetch(`${meshpilot.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/pilot_total_xds_rejects\{type="cds"\} 1/);
  });

  it('ignores a request that carries a stale nonce', async () => {
    const client = connect();
    client.send({ node: GRPC_NODE, type_url: ENDPOINT_TYPE, resource_names: [HELLO_CLUSTER] });
    const first = await client.responses.next();
    client.send({
      type_url: ENDPOINT_TYPE,
      version_info: first.version_info,
      response_nonce: first.nonce,
      resource_names: [HELLO_CLUSTER],
    });
    await writeCluster(clusterDir(), [hello(['127.0.0.3'])]);
    const second = await client.responses.next();
    expect(second.nonce).not.toBe(first.nonce);
    // Answering the first response again, with a new subscription: superseded, so ignored.
    client.send({
      type_url: ENDPOINT_TYPE,
      version_info: first.version_info,
      response_nonce: first.nonce,
      resource_names: [HELLO_CLUSTER, 'outbound|1||other'],
    });
    expect(await client.responses.quiet(300)).toBe(true);
    const [status] = await syncz();
    expect((status!.types as Record<string, { subscribed: string[] }>).eds!.subscribed).toEqual([HELLO_CLUSTER]);
  });

  it('remembers a name requested before it exists and sends it when it appears', async () => {
    const client = connect();
    const future = 'outbound|7000||later.default.svc.cluster.local';
    client.send({ node: GRPC_NODE, type_url: ENDPOINT_TYPE, resource_names: [future] });
    expect(await client.responses.quiet(200)).toBe(true);
    await writeCluster(clusterDir(), [
      hello(['127.0.0.2']),
      { name: 'later', port: 7000, clusterIP: '10.96.0.11', endpoints: [{ ip: '127.0.0.4' }] },
    ]);
    const response = await client.responses.next();
    expect(response.type_url).toBe(ENDPOINT_TYPE);
    expect(response.names).toEqual([future]);
  });

  it('sends only EDS when only an endpoint changes', async () => {
    const client = connect();
    const subscriptions: [string, string[]][] = [
      [CLUSTER_TYPE, []],
      [ENDPOINT_TYPE, [HELLO_CLUSTER]],
      [LISTENER_TYPE, [`${HELLO}:5000`]],
      [ROUTE_TYPE, [`${HELLO}:5000`]],
    ];
    for (const [typeUrl, names] of subscriptions) {
      client.send({ node: GRPC_NODE, type_url: typeUrl, resource_names: names });
      const response = await client.responses.next();
      expect(response.type_url).toBe(typeUrl);
      client.send({
        type_url: typeUrl,
        version_info: response.version_info,
        response_nonce: response.nonce,
        resource_names: names,
      });
    }
    expect(await client.responses.quiet(200)).toBe(true);
    await writeCluster(clusterDir(), [hello(['127.0.0.2', '127.0.0.5'])]);
    const pushed = await client.responses.next();
    expect(pushed.type_url).toBe(ENDPOINT_TYPE);
    const addresses = JSON.stringify(pushed.resources[0]);
    expect(addresses).toContain('127.0.0.5');
    expect(await client.responses.quiet(400)).toBe(true);
  });

  it('Delta: subscribe, unsubscribe, and removed_resources when a service goes away', async () => {
    const client = connect('delta');
    client.send({ node: GRPC_NODE, type_url: CLUSTER_TYPE, resource_names_subscribe: ['*'] });
    const cds = await client.deltaResponses.next();
    expect(cds.resources.map((r) => r.name)).toEqual([HELLO_CLUSTER]);
    client.send({ type_url: CLUSTER_TYPE, response_nonce: cds.nonce });

    client.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: [HELLO_CLUSTER] });
    const eds = await client.deltaResponses.next();
    expect(eds.type_url).toBe(ENDPOINT_TYPE);
    expect(eds.resources.map((r) => r.name)).toEqual([HELLO_CLUSTER]);
    client.send({ type_url: ENDPOINT_TYPE, response_nonce: eds.nonce });

    client.send({ type_url: ENDPOINT_TYPE, resource_names_unsubscribe: [HELLO_CLUSTER] });
    await writeCluster(clusterDir(), [hello(['127.0.0.7'])]);
    // Unsubscribed from EDS: the endpoint change reaches nobody.
    expect(await client.deltaResponses.quiet(400)).toBe(true);

    await writeCluster(clusterDir(), []);
    const removal = await client.deltaResponses.next();
    expect(removal.type_url).toBe(CLUSTER_TYPE);
    expect(removal.removed_resources).toEqual([HELLO_CLUSTER]);
    expect(removal.resources).toEqual([]);
  });

  it('Delta: resources the client already holds (initial_resource_versions) are not resent', async () => {
    const first = connect('delta');
    first.send({ node: GRPC_NODE, type_url: CLUSTER_TYPE, resource_names_subscribe: ['*'] });
    const held = await first.deltaResponses.next();
    const version = held.resources[0]!.version;
    const second = connect('delta');
    second.send({
      node: GRPC_NODE,
      type_url: CLUSTER_TYPE,
      resource_names_subscribe: ['*'],
      initial_resource_versions: { [HELLO_CLUSTER]: version },
    });
    const response = await second.deltaResponses.next();
    expect(response.resources).toEqual([]);
    expect(response.removed_resources).toEqual([]);
  });

  it('ignores and counts an unknown type URL, and the stream keeps working', async () => {
    const client = connect();
    client.send({ node: GRPC_NODE, type_url: 'type.googleapis.com/example.Unknown', resource_names: ['x'] });
    expect(await client.responses.quiet(200)).toBe(true);
    client.send({ type_url: CLUSTER_TYPE });
    expect((await client.responses.next()).type_url).toBe(CLUSTER_TYPE);
    const metrics = await (await fetch(`${meshpilot.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/meshpilot_xds_unknown_type_requests_total 1/);
  });

  it('ends only the stream with a malformed node, with INVALID_ARGUMENT naming the problem', async () => {
    const good = connect();
    good.send({ node: GRPC_NODE, type_url: CLUSTER_TYPE });
    const before = await good.responses.next();
    const bad = connect();
    bad.send({ node: node('sidecar~1.2.3.4'), type_url: CLUSTER_TYPE });
    const status = await bad.status();
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toMatch(/node\.id .* must have 4 parts/);
    const noNode = connect();
    noNode.send({ type_url: CLUSTER_TYPE });
    expect((await noNode.status()).details).toMatch(/must carry node/);
    // The good stream still works: ACK, then a re-request of CDS is answered.
    good.send({ type_url: CLUSTER_TYPE, version_info: before.version_info, response_nonce: before.nonce });
    await writeCluster(clusterDir(), [
      hello(['127.0.0.2']),
      { name: 'more', port: 6000, clusterIP: '10.96.0.12', endpoints: [] },
    ]);
    const after = await good.responses.next();
    expect(after.names).toContain(`outbound|6000||more.default.svc.cluster.local`);
  });

  it('ends a stream whose request bytes do not decode with INVALID_ARGUMENT', async () => {
    const RawClient = grpc.makeGenericClientConstructor(ADS_SERVICE, 'AggregatedDiscoveryService');
    const raw = new RawClient(meshpilot.xdsAddress, grpc.credentials.createInsecure()) as grpc.Client &
      Record<string, () => grpc.ClientDuplexStream<Buffer, Buffer>>;
    const call = raw.StreamAggregatedResources!();
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    call.write(Buffer.from([0x7f, 0x01])); // field 15 with wire type 7, which does not exist
    const ended = await status;
    raw.close();
    expect(ended.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(ended.details).toMatch(/DiscoveryRequest does not decode/);
  });
});
