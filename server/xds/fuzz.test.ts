import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsTestClient, node } from '../../e2e/support/ads-client.ts';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import { XdsHarness } from '../../e2e/support/xds-harness.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../protos/type-urls.ts';

/** Fields of DiscoveryRequest / DeltaDiscoveryRequest as a hostile client may fill them. */
const typeUrl = fc.oneof(
  fc.constantFrom(CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, '', '*'),
  fc.string({ maxLength: 60 }),
);
const names = fc.array(fc.oneof(fc.constant('*'), fc.string({ maxLength: 40 })), { maxLength: 30 });
const sotwRequest = fc.record(
  {
    node: fc.oneof(
      fc.constant(node('sidecar~127.0.0.9~fuzz.default~default.svc.cluster.local')),
      fc.record({ id: fc.string({ maxLength: 80 }) }),
    ),
    type_url: typeUrl,
    version_info: fc.string({ maxLength: 20 }),
    resource_names: names,
    response_nonce: fc.string({ maxLength: 20 }),
    error_detail: fc.record({ code: fc.integer({ min: 0, max: 16 }), message: fc.string({ maxLength: 200 }) }),
  },
  { requiredKeys: ['type_url'] },
);
const deltaRequest = fc.record(
  {
    node: fc.constant(node('sidecar~127.0.0.9~fuzz.default~default.svc.cluster.local')),
    type_url: typeUrl,
    resource_names_subscribe: names,
    resource_names_unsubscribe: names,
    initial_resource_versions: fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 10 }), {
      maxKeys: 10,
    }),
    response_nonce: fc.string({ maxLength: 20 }),
    error_detail: fc.record({ code: fc.integer({ min: 0, max: 16 }), message: fc.string({ maxLength: 200 }) }),
  },
  { requiredKeys: ['type_url'] },
);

describe('fuzzing ADS requests over real gRPC (issue 13 point 8)', () => {
  let harness: XdsHarness;
  let healthy: AdsTestClient;

  beforeAll(async () => {
    harness = await XdsHarness.start({ maxSubscribedNamesPerType: 50, maxUnknownTypeUrls: 4 });
    harness.publish(snapshotOf([{ name: 'a', port: 5000, clusterIP: '10.96.0.1', endpoints: [{ ip: '10.1.0.1' }] }]));
    healthy = new AdsTestClient(harness.address);
    healthy.send({ node: node('sidecar~127.0.0.8~healthy.default~default.svc.cluster.local'), type_url: CLUSTER_TYPE });
    await healthy.responses.next();
  });
  afterAll(() => {
    healthy.close();
    harness.stop();
  });

  /** Sends the requests on one stream, then checks the server and the healthy stream are unaffected. */
  async function survive(mode: 'sotw' | 'delta', requests: readonly Record<string, unknown>[]): Promise<void> {
    const client = new AdsTestClient(harness.address, mode);
    try {
      for (const request of requests) client.send(request);
      // Whatever happened to the fuzzed stream (answered, ignored, ended with a status), the server is up:
      const probe = new AdsTestClient(harness.address);
      try {
        probe.send({ node: node('sidecar~127.0.0.7~probe.default~default.svc.cluster.local'), type_url: CLUSTER_TYPE });
        expect((await probe.responses.next(5_000)).type_url).toBe(CLUSTER_TYPE);
      } finally {
        probe.close();
      }
    } finally {
      client.close();
    }
    // and the other stream is still connected.
    expect(harness.xds.connected().some((c) => c.proxy?.id.includes('healthy'))).toBe(true);
  }

  it('SotW: random DiscoveryRequests never crash the server nor disturb other streams', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sotwRequest, { minLength: 1, maxLength: 8 }), (requests) => survive('sotw', requests)),
      { numRuns: 40, interruptAfterTimeLimit: 30_000 },
    );
  });

  it('Delta: random DeltaDiscoveryRequests never crash the server nor disturb other streams', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(deltaRequest, { minLength: 1, maxLength: 8 }), (requests) =>
        survive('delta', requests),
      ),
      { numRuns: 40, interruptAfterTimeLimit: 30_000 },
    );
  });
});
