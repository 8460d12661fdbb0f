import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { AdsTestClient, node } from '../../e2e/support/ads-client.ts';
import type { FixtureService } from '../../e2e/support/mesh-fixture.ts';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import { XdsHarness } from '../../e2e/support/xds-harness.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import type { StreamLimits } from './stream-limits.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(10);
  return condition();
}

const services: FixtureService[] = Array.from({ length: 20 }, (_, i) => ({
  name: `svc-${i}`,
  port: 5000,
  clusterIP: `10.96.0.${i + 1}`,
  endpoints: [{ ip: `10.1.0.${i + 1}` }],
}));
const NODE = (id: string) => node(`sidecar~127.0.0.9~${id}.default~default.svc.cluster.local`);

describe('per-stream limits and backpressure on answers (issue 13 point 2)', () => {
  let harness: XdsHarness | undefined;
  const start = async (limits: Partial<StreamLimits> = {}): Promise<XdsHarness> => {
    harness = await XdsHarness.start(limits);
    harness.publish(snapshotOf(services));
    return harness;
  };
  const connect = (h: XdsHarness, mode: 'sotw' | 'delta' = 'sotw'): AdsTestClient => {
    const client = new AdsTestClient(h.address, mode);
    clients.push(client);
    return client;
  };
  const clients: AdsTestClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    harness?.stop();
    harness = undefined;
  });
  const pushes = async (h: XdsHarness): Promise<number> =>
    (await h.metrics.pushes.get()).values.reduce((sum, v) => sum + v.value, 0);

  it('a client that never reads and repeats its request with an empty nonce gets at most one queued answer', async () => {
    const h = await start();
    const client = connect(h);
    client.send({ node: NODE('stuck'), type_url: CLUSTER_TYPE, resource_names: [] });
    const first = await client.responses.next();
    const responseBytes = JSON.stringify(first.resources).length;
    client.pause();
    const repeats = 3_000;
    for (let i = 0; i < repeats; i++) client.send({ type_url: CLUSTER_TYPE, resource_names: [] });
    const connection = () => h.xds.connected()[0];
    expect(await until(() => (connection()?.typeStates()[0]?.requests ?? 0) >= repeats + 1, 20_000)).toBe(true);
    const stream = connection()!;
    // Before: every request was answered into the stream's buffers (3,000 answers, ~pushes × response size);
    // now answers wait for the stream to drain, merged into one per type.
    const written = await pushes(h);
    console.info(
      `stuck reader: ${repeats} repeated requests → ${written} answers written (~${Math.round((written * responseBytes) / 1024)} KB), ` +
        `${stream.queuedAnswers} queued`,
    );
    expect(stream.queuedAnswers).toBeLessThanOrEqual(1);
    expect(stream.isBlocked).toBe(true);
    expect(written).toBeLessThan(repeats / 4);
    // Once the client reads again, it gets the latest state and the stream is healthy.
    client.resume();
    expect(await until(() => !stream.isBlocked, 10_000)).toBe(true);
    expect(stream.queuedAnswers).toBe(0);
  });

  it('a Delta resource_names_subscribe flood ends that stream alone with RESOURCE_EXHAUSTED', async () => {
    const h = await start({ maxSubscribedNamesPerType: 500 });
    const healthy = connect(h, 'delta');
    healthy.send({ node: NODE('healthy'), type_url: CLUSTER_TYPE, resource_names_subscribe: ['*'] });
    await healthy.deltaResponses.next();
    const flood = connect(h, 'delta');
    flood.send({ node: NODE('flood'), type_url: ENDPOINT_TYPE, resource_names_subscribe: ['a'] });
    for (let i = 0; i < 10; i++)
      flood.send({
        type_url: ENDPOINT_TYPE,
        resource_names_subscribe: Array.from({ length: 100 }, (_, j) => `flood-${i}-${j}`),
      });
    const ended = await flood.status();
    expect(ended.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(ended.details).toContain('xdsServer.maxSubscribedNamesPerType (500) exceeded');
    // The other stream still works.
    h.publish(snapshotOf(services.slice(1)));
    const pushed = await healthy.deltaResponses.next();
    expect(pushed.removed_resources.length).toBeGreaterThan(0);
    expect(h.xds.connected()).toHaveLength(1);
  });

  it('Delta initial_resource_versions beyond the per-type limit end the stream', async () => {
    const h = await start({ maxSubscribedNamesPerType: 50 });
    const client = connect(h, 'delta');
    client.send({
      node: NODE('initial'),
      type_url: ENDPOINT_TYPE,
      initial_resource_versions: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`n${i}`, 'v'])),
    });
    const ended = await client.status();
    expect(ended.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(ended.details).toContain('maxSubscribedNamesPerType');
  });

  it('SotW names over all types are bounded per stream', async () => {
    const h = await start({ maxSubscribedNamesPerType: 100, maxSubscribedNamesPerStream: 150 });
    const client = connect(h);
    const names = (prefix: string) => Array.from({ length: 80 }, (_, i) => `${prefix}-${i}`);
    client.send({ node: NODE('many'), type_url: ENDPOINT_TYPE, resource_names: names('eds') });
    client.send({
      type_url: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
      resource_names: names('rds'),
    });
    const ended = await client.status();
    expect(ended.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(ended.details).toContain('xdsServer.maxSubscribedNamesPerStream (150) exceeded: 160 resource names');
  });

  it('an unknown type URL flood ends the stream once it passes maxUnknownTypeUrls', async () => {
    const h = await start({ maxUnknownTypeUrls: 4 });
    const client = connect(h);
    client.send({ node: NODE('unknown'), type_url: CLUSTER_TYPE });
    await client.responses.next();
    for (let i = 0; i < 4; i++) client.send({ type_url: `type.googleapis.com/unknown.T${i}` });
    for (let i = 0; i < 4; i++) client.send({ type_url: `type.googleapis.com/unknown.T${i}` });
    expect(await client.responses.quiet(200)).toBe(true);
    expect(h.xds.connected()).toHaveLength(1);
    client.send({ type_url: 'type.googleapis.com/unknown.T4' });
    const ended = await client.status();
    expect(ended.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(ended.details).toContain('xdsServer.maxUnknownTypeUrls (4) exceeded');
  });

  it('keeps only maxNackMessageBytes of a NACK message', async () => {
    const h = await start({ maxNackMessageBytes: 100 });
    const client = connect(h);
    client.send({ node: NODE('nack'), type_url: CLUSTER_TYPE });
    const response = await client.responses.next();
    client.send({
      type_url: CLUSTER_TYPE,
      response_nonce: response.nonce,
      error_detail: { code: 3, message: 'x'.repeat(1_000_000) },
    });
    const stream = () => h.xds.connected()[0]?.typeStates()[0];
    expect(await until(() => stream()?.lastNack !== undefined, 5_000)).toBe(true);
    const message = stream()!.lastNack!.message;
    expect(message.startsWith('x'.repeat(100))).toBe(true);
    expect(message).toContain('999900 more bytes; xdsServer.maxNackMessageBytes is 100');
    expect(message.length).toBeLessThan(200);
  });
});
