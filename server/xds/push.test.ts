import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdsTestClient } from '../../e2e/support/ads-client.ts';
import type { FixtureService } from '../../e2e/support/mesh-fixture.ts';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import { XdsHarness } from '../../e2e/support/xds-harness.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { XdsService } from './xds-server.ts';

const A = 'outbound|5000||a.default.svc.cluster.local';
const B = 'outbound|5000||b.default.svc.cluster.local';

function service(name: string, clusterIP: string, ips: string[]): FixtureService {
  return { name, port: 5000, clusterIP, endpoints: ips.map((ip) => ({ ip })) };
}
const range = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(10);
  return condition();
}

describe('push pipeline over real gRPC', () => {
  let harness: XdsHarness;
  let metrics: Metrics;
  let xds: XdsService;
  const publish = (services: FixtureService[]): void => harness.publish(snapshotOf(services));
  const subscribe = (id: string, edsNames: string[]): Promise<AdsTestClient> =>
    harness.subscribe(id, [
      [CLUSTER_TYPE, []],
      [ENDPOINT_TYPE, edsNames],
    ]);

  beforeEach(async () => {
    harness = await XdsHarness.start();
    metrics = harness.metrics;
    xds = harness.xds;
  });

  afterEach(() => harness.stop());

  it('sends an endpoint change as EDS only, and only to the streams subscribed to it', async () => {
    publish([service('a', '10.96.0.1', range('10.1', 10)), service('b', '10.96.0.2', range('10.2', 10))]);
    const onA = await subscribe('on-a', [A]);
    const onB = await subscribe('on-b', [B]);
    expect(await onA.responses.quiet(100)).toBe(true);
    const pushesBefore = (await metrics.pushes.get()).values.reduce((sum, v) => sum + v.value, 0);

    publish([
      service('a', '10.96.0.1', [...range('10.1', 9), '10.9.9.9']),
      service('b', '10.96.0.2', range('10.2', 10)),
    ]);
    const pushed = await onA.responses.next();
    expect(pushed.type_url).toBe(ENDPOINT_TYPE);
    expect(pushed.names).toEqual([A]);
    expect(JSON.stringify(pushed.resources[0])).toContain('10.9.9.9');
    expect(await onB.responses.quiet(300)).toBe(true);
    expect(await onA.responses.quiet(100)).toBe(true);
    const pushesAfter = (await metrics.pushes.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(pushesAfter - pushesBefore).toBe(1);
  });

  it('holds a stuck reader to one pending push: memory stays bounded and it gets only the latest state', async () => {
    const base = range('10.1', 400);
    publish([service('a', '10.96.0.1', base)]);
    const stuck = await subscribe('stuck', [A]);
    const connection = xds.connected()[0]!;
    stuck.pause();

    const changes = 120;
    let maxBuffered = 0;
    for (let i = 0; i < changes; i += 1) {
      publish([service('a', '10.96.0.1', [...base.slice(1), `10.200.0.${i + 1}`])]);
      await new Promise((resolve) => setImmediate(resolve));
      maxBuffered = Math.max(maxBuffered, connection.call.writableLength);
    }
    expect(await until(() => connection.isBlocked, 5_000)).toBe(true);
    expect((await metrics.blockedStreams.get()).values[0]?.value).toBe(1);
    // A push waits until the previous one has been flushed: at most one response is ever queued.
    expect(maxBuffered).toBeLessThanOrEqual(1);
    const sentWhileStuck = (await metrics.pushes.get()).values.find((v) => v.labels.type === 'eds')!.value;
    expect(sentWhileStuck).toBeLessThan(changes / 2);

    stuck.resume();
    let last = '';
    let received = 0;
    const deadline = Date.now() + 10_000;
    while (!last.includes(`10.200.0.${changes}"`) && Date.now() < deadline) {
      const response = await stuck.responses.next(5_000);
      received += 1;
      last = JSON.stringify(response.resources);
      stuck.send({
        type_url: ENDPOINT_TYPE,
        version_info: response.version_info,
        response_nonce: response.nonce,
        resource_names: [A],
      });
    }
    expect(last).toContain(`10.200.0.${changes}"`);
    expect((await metrics.blockedStreams.get()).values[0]?.value).toBe(0);
    expect(received).toBeLessThan(changes / 2);
  });
});
