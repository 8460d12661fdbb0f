import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildIstioConfigSet } from '../model/istio/config-set.ts';
import type { AnyIstioConfig } from '../model/istio/types.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../protos/type-urls.ts';
import { istioObject } from '../translators/test-support/istio-config.ts';
import { AdsTestClient, node } from './support/ads-client.ts';
import { EnvoyLikeClient } from './support/envoy-like-client.ts';
import type { FixtureService } from './support/mesh-fixture.ts';
import { snapshotOf } from './support/snapshot-fixture.ts';
import { XdsHarness } from './support/xds-harness.ts';

/**
 * Issue 19 point 5: meshpilot driven the way Envoy drives an ADS server (Envoy's xDS state machine,
 * which no gRPC client shares): cluster and listener warming, wildcard and resource-not-found rules,
 * ACK/NACK per type, and Delta reconnects with initial_resource_versions.
 */

const A = 'outbound|5000||a.default.svc.cluster.local';
const B = 'outbound|5000||b.default.svc.cluster.local';
const C = 'outbound|6000||c.default.svc.cluster.local';
const SIDECAR = 'sidecar~127.0.0.20~app-0.default~default.svc.cluster.local';

const SERVICES: FixtureService[] = [
  { name: 'a', port: 5000, clusterIP: '10.96.0.1', endpoints: [{ ip: '10.1.0.1' }] },
  { name: 'b', port: 5000, clusterIP: '10.96.0.2', endpoints: [{ ip: '10.2.0.1' }] },
];
const WITH_C: FixtureService[] = [
  ...SERVICES,
  { name: 'c', port: 6000, clusterIP: '10.96.0.3', endpoints: [{ ip: '10.3.0.1' }] },
];

const poolRule = istioObject('DestinationRule', 'default', 'a', {
  host: 'a',
  trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } },
});
/** Mesh-wide Telemetry: changes the outbound listeners' stats filter, not their routes. */
const noRequestCount = istioObject('Telemetry', 'istio-system', 'mesh-default', {
  metrics: [{ overrides: [{ match: { metric: 'REQUEST_COUNT' }, disabled: true }] }],
});

describe('meshpilot driven as Envoy drives it (SotW)', () => {
  let harness: XdsHarness;
  const envoys: EnvoyLikeClient[] = [];
  const publish = (services: readonly FixtureService[], config: readonly AnyIstioConfig[] = []): void =>
    harness.publish({ ...snapshotOf(services), istioConfig: buildIstioConfigSet(config) });
  const envoy = async (options: { nackFirst?: readonly string[] } = {}): Promise<EnvoyLikeClient> => {
    const client = new EnvoyLikeClient(harness.address, SIDECAR, options);
    envoys.push(client);
    await client.settle(300, 50, 5_000);
    return client;
  };

  beforeEach(async () => {
    harness = await XdsHarness.start();
  });

  afterEach(() => {
    for (const client of envoys.splice(0)) client.close();
    harness.stop();
  });

  it('starts as Envoy does: CDS, EDS for every EDS cluster, then LDS and RDS; nothing left warming', async () => {
    publish(SERVICES);
    const proxy = await envoy();
    const order = proxy.receivedSince(0).map((r) => r.type);
    expect(order.slice(0, 2)).toEqual([CLUSTER_TYPE, ENDPOINT_TYPE]);
    expect(order.indexOf(LISTENER_TYPE)).toBeGreaterThan(order.indexOf(ENDPOINT_TYPE));
    expect(order).toContain(ROUTE_TYPE);
    expect(proxy.clusters.has(A) && proxy.clusters.has(B)).toBe(true);
    expect([...proxy.warmingClusters]).toEqual([]);
    expect([...proxy.warmingListeners.keys()]).toEqual([]);
    expect(proxy.routes.has('5000')).toBe(true);
  });

  it('a DestinationRule changing a cluster: its assignment follows CDS, and the re-initialised cluster becomes active', async () => {
    publish(SERVICES);
    const proxy = await envoy();
    const from = proxy.received.length;
    publish(SERVICES, [poolRule]);
    await proxy.settle();
    const after = proxy.receivedSince(from);
    expect(after[0]!.type).toBe(CLUSTER_TYPE);
    expect(after[0]!.names).toEqual(expect.arrayContaining([A, B]));
    // Only the changed cluster's assignment, unchanged, once: Envoy's re-request (same names, version
    // and nonce, now stale) is not answered a second time.
    expect(after.slice(1)).toEqual([{ type: ENDPOINT_TYPE, names: [A] }]);
    expect([...proxy.warmingClusters]).toEqual([]);
    expect(JSON.stringify(proxy.assignments.get(A))).toContain('10.1.0.1');
  });

  it('a new service: CDS adds its cluster, Envoy names it in EDS and gets its assignment', async () => {
    publish(SERVICES);
    const proxy = await envoy();
    publish(WITH_C);
    await proxy.settle();
    expect(proxy.clusters.has(C)).toBe(true);
    expect([...proxy.warmingClusters]).toEqual([]);
    expect(JSON.stringify(proxy.assignments.get(C))).toContain('10.3.0.1');
    expect([...proxy.warmingListeners.keys()]).toEqual([]);
    expect(proxy.routes.has('6000')).toBe(true);
  });

  it('a Telemetry change re-creating the outbound listeners: their routes follow and the listeners become active', async () => {
    publish(SERVICES);
    const proxy = await envoy();
    const listenerBefore = proxy.listeners.get('0.0.0.0_5000')?.json;
    const from = proxy.received.length;
    publish(SERVICES, [noRequestCount]);
    await proxy.settle();
    const after = proxy.receivedSince(from);
    expect(proxy.listeners.get('0.0.0.0_5000')?.json).not.toBe(listenerBefore);
    const lds = after.findIndex((r) => r.type === LISTENER_TYPE);
    const rds = after.findIndex((r) => r.type === ROUTE_TYPE);
    expect(lds).toBeGreaterThanOrEqual(0);
    expect(rds).toBeGreaterThan(lds);
    expect(after[rds]!.names).toContain('5000');
    expect([...proxy.warmingListeners.keys()]).toEqual([]);
  });

  it('an endpoint change alone: EDS only, no CDS, nothing warming', async () => {
    publish(SERVICES);
    const proxy = await envoy();
    const from = proxy.received.length;
    publish([{ ...SERVICES[0]!, endpoints: [{ ip: '10.1.0.9' }] }, SERVICES[1]!]);
    await proxy.settle();
    expect(proxy.receivedSince(from)).toEqual([{ type: ENDPOINT_TYPE, names: [A] }]);
    expect(JSON.stringify(proxy.assignments.get(A))).toContain('10.1.0.9');
  });

  for (const type of [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE]) {
    it(`NACK of the first ${type.split('.').at(-1)}: not sent again until something changes, then the change arrives`, async () => {
      publish(SERVICES);
      const proxy = await envoy({ nackFirst: [type] });
      const nacked = proxy.received.filter((r) => r.type_url === type);
      expect(nacked).toHaveLength(1);
      const from = proxy.received.length;
      publish(WITH_C);
      await proxy.settle();
      expect(proxy.received.slice(from).some((r) => r.type_url === type)).toBe(true);
      expect([...proxy.warmingClusters]).toEqual([]);
    });
  }

  it('wildcard and resource-not-found rules: CDS/LDS wildcard get new resources unasked; an EDS name not yet known is sent when it appears', async () => {
    publish(SERVICES);
    const client = new AdsTestClient(harness.address);
    try {
      client.send({ node: node(SIDECAR), type_url: CLUSTER_TYPE, resource_names: [] });
      const cds = await client.responses.next();
      client.send({ type_url: CLUSTER_TYPE, version_info: cds.version_info, response_nonce: cds.nonce });
      // A name that does not exist: nothing is sent (Envoy's fetch timeout decides), no error.
      client.send({ type_url: ENDPOINT_TYPE, resource_names: [C] });
      expect(await client.responses.quiet(300)).toBe(true);
      publish(WITH_C);
      const pushed = [await client.responses.next(), await client.responses.next()];
      expect(pushed[0]!.type_url).toBe(CLUSTER_TYPE);
      expect(pushed[0]!.names).toContain(C);
      expect(pushed[1]!.type_url).toBe(ENDPOINT_TYPE);
      expect(pushed[1]!.names).toEqual([C]);
      // An empty EDS list after naming resources means none: nothing more is sent for EDS.
      client.send({
        type_url: ENDPOINT_TYPE,
        version_info: pushed[1]!.version_info,
        response_nonce: pushed[1]!.nonce,
        resource_names: [],
      });
      publish([{ ...WITH_C[0]!, endpoints: [{ ip: '10.1.0.7' }] }, WITH_C[1]!, WITH_C[2]!]);
      expect(await client.responses.quiet(300)).toBe(true);
    } finally {
      client.close();
    }
  });
});

describe('meshpilot driven as Envoy drives it (Delta)', () => {
  let harness: XdsHarness;
  const clients: AdsTestClient[] = [];
  const publish = (services: readonly FixtureService[], config: readonly AnyIstioConfig[] = []): void =>
    harness.publish({ ...snapshotOf(services), istioConfig: buildIstioConfigSet(config) });
  const connect = (): AdsTestClient => {
    const client = new AdsTestClient(harness.address, 'delta');
    clients.push(client);
    return client;
  };
  const ack = (client: AdsTestClient, type: string, nonce: string): void =>
    client.send({ type_url: type, response_nonce: nonce });

  beforeEach(async () => {
    harness = await XdsHarness.start();
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    harness.stop();
  });

  it('a DestinationRule changing a cluster: the changed cluster, then its assignment, unchanged', async () => {
    publish(SERVICES);
    const client = connect();
    client.send({ node: node(SIDECAR), type_url: CLUSTER_TYPE, resource_names_subscribe: ['*'] });
    const cds = await client.deltaResponses.next();
    ack(client, CLUSTER_TYPE, cds.nonce);
    client.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: [A, B] });
    const eds = await client.deltaResponses.next();
    ack(client, ENDPOINT_TYPE, eds.nonce);
    expect(await client.deltaResponses.quiet(200)).toBe(true);

    publish(SERVICES, [poolRule]);
    const changed = await client.deltaResponses.next();
    expect(changed.type_url).toBe(CLUSTER_TYPE);
    expect(changed.resources.map((r) => r.name)).toEqual([A]);
    const warmed = await client.deltaResponses.next();
    expect(warmed.type_url).toBe(ENDPOINT_TYPE);
    expect(warmed.resources.map((r) => r.name)).toEqual([A]);
    expect(warmed.resources[0]!.version).toBe(eds.resources.find((r) => r.name === A)!.version);
    expect(await client.deltaResponses.quiet(200)).toBe(true);
  });

  it('reconnect with initial_resource_versions: unchanged clusters are not resent, every subscribed assignment follows the CDS answer (istiod forceEDSPush)', async () => {
    publish(SERVICES);
    const first = connect();
    first.send({ node: node(SIDECAR), type_url: CLUSTER_TYPE, resource_names_subscribe: ['*'] });
    const cds = await first.deltaResponses.next();
    first.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: [A, B] });
    const eds = await first.deltaResponses.next();
    first.close();
    const held = (response: typeof cds): Record<string, string> =>
      Object.fromEntries(response.resources.map((r) => [r.name, r.version]));

    // Envoy reconnects EDS first here (the order istiod guards against): held assignments are not resent.
    const again = connect();
    again.send({
      node: node(SIDECAR),
      type_url: ENDPOINT_TYPE,
      resource_names_subscribe: [A, B],
      initial_resource_versions: held(eds),
    });
    expect(await again.deltaResponses.quiet(200)).toBe(true);
    again.send({
      type_url: CLUSTER_TYPE,
      resource_names_subscribe: ['*'],
      initial_resource_versions: held(cds),
    });
    const cdsAnswer = await again.deltaResponses.next();
    expect(cdsAnswer.type_url).toBe(CLUSTER_TYPE);
    expect(cdsAnswer.resources).toEqual([]);
    const edsAnswer = await again.deltaResponses.next();
    expect(edsAnswer.type_url).toBe(ENDPOINT_TYPE);
    expect(edsAnswer.resources.map((r) => r.name).sort()).toEqual([A, B].sort());
  });
});
