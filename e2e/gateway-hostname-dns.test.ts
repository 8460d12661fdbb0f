import type * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExplain } from '../cli/explain.ts';
import { eventually } from './support/eventually.ts';
import { GreeterMesh } from './support/greeter-mesh.ts';
import { replyingServers, sayHello, type GreeterServer } from './support/helloworld.ts';
import { eastWestGatewayManifest, serviceManifests, writeManifests } from './support/mesh-fixture.ts';
import type { TestMeshpilot } from './support/meshpilot-process.ts';
import { startTestDnsServer, type TestDnsServer } from './support/test-dns-server.ts';

grpcXds.register();

/**
 * Hostname gateways (issue #15 point 1): net-b's east-west gateway is a LoadBalancer Service whose
 * ingress has only a hostname (as on AWS), resolved through a real DNS server on loopback
 * (meshpilot.yaml gatewayDns.servers) and re-resolved on its TTL. A proxyless gRPC client in net-a
 * reaches helloworld, whose only pod is in cluster-b, at the address the name resolves to; when the
 * DNS record moves to another address, meshpilot re-pushes EDS once the TTL (1 s minimum here, Istio's
 * 30 s by default) expires and the client's calls follow. /debug/gatewaydnsz and /debug/explain show it.
 */

const GATEWAY_HOSTNAME = 'eastwest.net-b.test';
/** A meshNetworks gateway of net-c whose name does not exist: net-c has no gateway. */
const MISSING_HOSTNAME = 'missing.net-c.test';
const FIRST_IP = '127.0.8.30';
const SECOND_IP = '127.0.8.31';
const THIRD_IP = '127.0.8.32';
const ADDED_HOSTNAME = 'eastwest-2.net-b.test';
const PROXY_ID = 'sidecar~127.0.8.29~client-0.default~default.svc.cluster.local';

/** An east-west gateway of net-b: a LoadBalancer known only by its ingress hostname, reached on `port`. */
const hostnameGateway = (name: string, clusterIP: string, hostname: string, port: number) =>
  eastWestGatewayManifest({
    name,
    network: 'net-b',
    gatewayPort: port,
    type: 'LoadBalancer',
    clusterIP,
    port,
    targetPort: 15443,
    ingressHostname: hostname,
  });

describe('a gateway given by a LoadBalancer ingress hostname, resolved with DNS (proxyless gRPC)', () => {
  let mesh: GreeterMesh;
  let dns: TestDnsServer;
  let meshpilot: TestMeshpilot;
  let first: GreeterServer;
  let second: GreeterServer;
  let third: GreeterServer;
  let clusterB: string;
  let client: grpc.Client;

  // Bounded in count and time; the first calls may wait for xDS.
  const callServers = (count: number): Promise<string[]> => replyingServers(client, 'by name', count);

  beforeAll(async () => {
    mesh = await GreeterMesh.create('gateway-hostname-dns');
    first = await mesh.greeter(FIRST_IP);
    second = await mesh.greeter(SECOND_IP, first.port);
    third = await mesh.greeter(THIRD_IP, first.port);
    dns = await startTestDnsServer();
    mesh.defer(() => dns.close());
    dns.set(GATEWAY_HOSTNAME, { a: [FIRST_IP], ttl: 0 });
    const clusterA = await mesh.folder(
      'cluster-a',
      serviceManifests({ name: 'helloworld', port: 5000, endpoints: [] }),
    );
    clusterB = await mesh.folder('cluster-b', [
      ...serviceManifests({
        name: 'helloworld',
        port: 5000,
        targetPort: 5000,
        endpoints: [{ ip: '10.88.0.1', labels: { 'security.istio.io/tlsMode': 'istio' } }],
      }),
      hostnameGateway('istio-eastwestgateway', '10.96.1.1', GATEWAY_HOSTNAME, first.port),
    ]);
    meshpilot = await mesh.start({
      clusters: [
        { name: 'cluster-a', network: 'net-a', manifests: clusterA },
        { name: 'cluster-b', network: 'net-b', manifests: clusterB },
      ],
      meshNetworks: {
        networks: { 'net-c': { endpoints: [], gateways: [{ address: MISSING_HOSTNAME, port: 15443 }] } },
      },
      gatewayDns: { servers: [dns.address], minTtlMs: 1_000, timeoutMs: 1_000 },
    });
    client = mesh.client('xds:///helloworld.default.svc.cluster.local:5000', {
      id: PROXY_ID,
      metadata: { CLUSTER_ID: 'cluster-a', NETWORK: 'net-a' },
    });
  });

  afterAll(() => mesh?.stop());

  it('sends calls to the address the hostname resolves to, shown on /debug/gatewaydnsz and by explain', async () => {
    expect(await callServers(5)).toEqual(Array<string>(5).fill(FIRST_IP));
    expect(second.calls()).toBe(0);

    const names = (await (await fetch(`${meshpilot.adminUrl}/debug/gatewaydnsz`)).json()) as {
      hostname: string;
      addresses: string[];
      state: string;
      ttlSeconds: number;
    }[];
    expect(
      names.map(({ hostname, addresses, state, ttlSeconds }) => ({ hostname, addresses, state, ttlSeconds })),
    ).toEqual([
      { hostname: GATEWAY_HOSTNAME, addresses: [FIRST_IP], state: 'resolved', ttlSeconds: 1 },
      { hostname: MISSING_HOSTNAME, addresses: [], state: 'resolved', ttlSeconds: 1 },
    ]);
    const query = `proxyID=${encodeURIComponent(PROXY_ID)}&service=helloworld.default`;
    const explained = (await (await fetch(`${meshpilot.adminUrl}/debug/explain?${query}`)).json()) as {
      endpoints: { outcome: string; sentAs: string[]; reason: string }[];
    };
    expect(explained.endpoints).toHaveLength(1);
    expect(explained.endpoints[0]).toMatchObject({ outcome: 'via-gateway', sentAs: [`${FIRST_IP}:${first.port}`] });
    expect(explained.endpoints[0]?.reason).toContain(`(${FIRST_IP} resolved from ${GATEWAY_HOSTNAME})`);

    // `meshpilot explain` prints the same, and every gateway hostname's DNS state.
    let text = '';
    expect(
      await runExplain(meshpilot.adminUrl, PROXY_ID, 'helloworld.default', { write: (t) => void (text += t) }),
    ).toBe(0);
    expect(text).toContain(`${FIRST_IP} resolved from ${GATEWAY_HOSTNAME}`);
    const lines = text.split('\n');
    expect(
      lines
        .find((l) => l.startsWith(GATEWAY_HOSTNAME))
        ?.split(/\s+/)
        .slice(0, 4),
    ).toEqual([GATEWAY_HOSTNAME, 'resolved', FIRST_IP, '1s']);
    const missing = lines.find((l) => l.startsWith(MISSING_HOSTNAME)) ?? '';
    expect(missing.split(/\s+/).slice(0, 3)).toEqual([MISSING_HOSTNAME, 'resolved', '-']);
    expect(missing).toContain('A: ENOTFOUND, AAAA: ENOTFOUND');
  });

  it('follows the DNS record to its new address once its TTL expires (EDS pushed again)', async () => {
    const pushesBefore = await edsPushes(meshpilot.adminUrl);
    dns.set(GATEWAY_HOSTNAME, { a: [SECOND_IP], ttl: 0 });
    await eventually(async () => {
      const reply = await sayHello(client, 'after the move', 2_000).catch(() => undefined);
      return reply?.server === SECOND_IP;
    }, 'calls to reach the gateway’s new address');
    expect(await callServers(5)).toEqual(Array<string>(5).fill(SECOND_IP));
    expect(await edsPushes(meshpilot.adminUrl)).toBeGreaterThan(pushesBefore);
  });

  it('resolves the hostname of a gateway Service added while running (a keyed build naming a Service)', async () => {
    dns.set(ADDED_HOSTNAME, { a: [THIRD_IP], ttl: 300 });
    await writeManifests(
      clusterB,
      [hostnameGateway('istio-eastwestgateway-2', '10.96.1.2', ADDED_HOSTNAME, first.port)],
      'second-gateway.yaml',
    );
    // Two gateways of net-b now: calls (bounded in count and time) reach the added one's address too.
    await eventually(async () => {
      const reply = await sayHello(client, 'two gateways', 2_000).catch(() => undefined);
      return reply?.server === THIRD_IP;
    }, 'calls to reach the added gateway’s address');
    expect(third.calls()).toBeGreaterThan(0);
  });
});

/** pilot_xds_pushes{type="eds"} from meshpilot's /metrics. */
async function edsPushes(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('pilot_xds_pushes{type="eds"}'));
  return Number(line?.split(' ').at(-1) ?? 0);
}
