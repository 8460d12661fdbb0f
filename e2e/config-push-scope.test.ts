import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildIstioConfigSet } from '../model/istio/config-set.ts';
import type { AnyIstioConfig } from '../model/istio/types.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../protos/type-urls.ts';
import { istioObject } from '../translators/test-support/istio-config.ts';
import type { AdsTestClient } from './support/ads-client.ts';
import { XdsHarness } from './support/xds-harness.ts';
import type { FixtureService } from './support/mesh-fixture.ts';
import { snapshotOf } from './support/snapshot-fixture.ts';

/** Issue 6 item 5: a config change reaches only the streams whose resources it changes. */

const A = 'outbound|5000||a.default.svc.cluster.local';
const B = 'outbound|5000||b.default.svc.cluster.local';
const A_V1 = 'outbound|5000|v1|a.default.svc.cluster.local';

const SERVICES: FixtureService[] = [
  {
    name: 'a',
    port: 5000,
    clusterIP: '10.96.0.1',
    endpoints: [
      { ip: '10.1.0.1', labels: { version: 'v1' } },
      { ip: '10.1.0.2', labels: { version: 'v2' } },
    ],
  },
  { name: 'b', port: 5000, clusterIP: '10.96.0.2', endpoints: [{ ip: '10.2.0.1' }] },
];

const poolRule = istioObject('DestinationRule', 'default', 'a', {
  host: 'a',
  trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } },
});
const subsetRule = istioObject('DestinationRule', 'default', 'a', {
  host: 'a',
  subsets: [{ name: 'v1', labels: { version: 'v1' } }],
});

describe('config pushes scoped to the streams whose output changes', () => {
  let harness: XdsHarness;
  const publish = (config: readonly AnyIstioConfig[]): void =>
    harness.publish({ ...snapshotOf(SERVICES), istioConfig: buildIstioConfigSet(config) });
  const subscribe = (
    id: string,
    subscriptions: readonly (readonly [string, readonly string[]])[],
  ): Promise<AdsTestClient> => harness.subscribe(id, subscriptions);

  beforeEach(async () => {
    harness = await XdsHarness.start();
  });

  afterEach(() => harness.stop());

  // Changed on purpose (issue 19 point 5): the changed cluster's assignment follows CDS, unchanged, because
  // Envoy warms a changed cluster again and waits for it (server/xds/warming.ts); before, nothing followed.
  it("a DestinationRule changing only CDS pushes CDS, then the changed cluster's EDS, and nothing to EDS-only streams", async () => {
    publish([]);
    const cds = await subscribe('cds', [
      [CLUSTER_TYPE, []],
      [ENDPOINT_TYPE, [A]],
    ]);
    const edsOnly = await subscribe('eds-only', [[ENDPOINT_TYPE, [A, B]]]);
    expect(await cds.responses.quiet(100)).toBe(true);

    publish([poolRule]);
    const pushed = await cds.responses.next();
    expect(pushed.type_url).toBe(CLUSTER_TYPE);
    expect(JSON.stringify(pushed.resources.find((r) => r.name === A))).toContain('max_requests_per_connection');
    const warmed = await cds.responses.next();
    expect(warmed.type_url).toBe(ENDPOINT_TYPE);
    expect(warmed.names).toEqual([A]);
    expect(warmed.nonce).not.toBe(pushed.nonce);
    expect(await edsOnly.responses.quiet(300)).toBe(true);
    expect(await cds.responses.quiet(100)).toBe(true);
  });

  it('a DestinationRule adding a subset of service a pushes nothing to a stream watching only b', async () => {
    publish([]);
    const onA = await subscribe('on-a', [[ENDPOINT_TYPE, [A, A_V1]]]);
    const onB = await subscribe('on-b', [[ENDPOINT_TYPE, [B]]]);

    publish([subsetRule]);
    const pushed = await onA.responses.next();
    expect(pushed.type_url).toBe(ENDPOINT_TYPE);
    expect(pushed.names).toContain(A_V1);
    expect(JSON.stringify(pushed.resources)).toContain('10.1.0.1');
    expect(JSON.stringify(pushed.resources.find((r) => r.cluster_name === A_V1))).not.toContain('10.1.0.2');
    expect(await onB.responses.quiet(300)).toBe(true);
  });
});
