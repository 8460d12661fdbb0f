import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMeshpilot } from './support/meshpilot-process.ts';
import { serviceManifests, tempDir, toYaml } from './support/mesh-fixture.ts';
import {
  GreeterClient,
  sayHello,
  startGreeter,
  xdsBootstrap,
  XDS_BOOTSTRAP_OPTION,
  type GreeterServer,
} from './support/helloworld.ts';

grpcXds.register();

/**
 * A proxyless gRPC client (grpc-js-xds) in net-a reaches helloworld, whose only pod is in cluster-b,
 * through net-b's east-west gateway, found as Istio finds it (issue #15 points 1 and 3): cluster-b's
 * network is its istio-system Namespace label (no network in meshpilot.yaml), and its gateway is a
 * NodePort Service labelled topology.istio.io/network with traffic.istio.io/nodeSelector, reached on the
 * ExternalIP of the one node the selector matches, on the node port. A greeter stands for the gateway
 * there; another listens on the ExternalIP of the node the selector does not match, and must get nothing.
 */

const GATEWAY_NODE_IP = '127.0.8.10';
const OTHER_NODE_IP = '127.0.8.11';

describe('a gateway found through a labelled NodePort Service (proxyless gRPC)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let gateway: GreeterServer;
  let otherNode: GreeterServer;
  let client: grpc.Client;

  beforeAll(async () => {
    gateway = await startGreeter(GATEWAY_NODE_IP);
    otherNode = await startGreeter(OTHER_NODE_IP, gateway.port);
    dir = await tempDir('gateway-discovery');
    const clusterA = join(dir.path, 'cluster-a');
    const clusterB = join(dir.path, 'cluster-b');
    await mkdir(clusterA, { recursive: true });
    await mkdir(clusterB, { recursive: true });
    // cluster-a knows the service (so it has a VIP there) but runs none of its pods.
    await writeFile(
      join(clusterA, 'mesh.yaml'),
      toYaml(serviceManifests({ name: 'helloworld', port: 5000, endpoints: [] })),
    );
    const node = (name: string, externalIp: string, labels: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels },
      status: {
        addresses: [
          { type: 'InternalIP', address: `10.200.0.${externalIp.split('.').at(-1) ?? '1'}` },
          { type: 'ExternalIP', address: externalIp },
        ],
      },
    });
    await writeFile(
      join(clusterB, 'mesh.yaml'),
      toYaml([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'istio-system', labels: { 'topology.istio.io/network': 'net-b' } },
        },
        node('node-gateway', GATEWAY_NODE_IP, { role: 'eastwest' }),
        node('node-other', OTHER_NODE_IP, {}),
        // Not reachable from here: only its gateway is.
        ...serviceManifests({
          name: 'helloworld',
          port: 5000,
          targetPort: 5000,
          endpoints: [{ ip: '10.88.0.1', labels: { 'security.istio.io/tlsMode': 'istio' } }],
        }),
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: 'istio-eastwestgateway',
            namespace: 'istio-system',
            labels: { 'topology.istio.io/network': 'net-b' },
            annotations: { 'traffic.istio.io/nodeSelector': '{"role": "eastwest"}' },
          },
          spec: {
            type: 'NodePort',
            clusterIP: '10.96.1.1',
            ports: [{ name: 'tls', port: 15443, targetPort: 15443, nodePort: gateway.port, protocol: 'TCP' }],
          },
        },
      ]),
    );
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [
        { name: 'cluster-a', network: 'net-a', manifests: clusterA },
        { name: 'cluster-b', manifests: clusterB },
      ],
    });
    client = new GreeterClient('xds:///helloworld.default.svc.cluster.local:5000', grpc.credentials.createInsecure(), {
      [XDS_BOOTSTRAP_OPTION]: xdsBootstrap(
        meshpilot.xdsAddress,
        'sidecar~127.0.8.9~client-0.default~default.svc.cluster.local',
        { CLUSTER_ID: 'cluster-a', NETWORK: 'net-a' },
      ),
    });
  });

  afterAll(async () => {
    client?.close();
    await meshpilot?.stop();
    await Promise.all([gateway?.kill(), otherNode?.kill()]);
    await dir?.remove();
  });

  it('sends every call to the gateway on the selected node’s ExternalIP and node port', async () => {
    const servers: string[] = [];
    const deadline = Date.now() + 20_000;
    // The first calls may wait for xDS; bounded in count and time.
    for (let i = 0; i < 200 && Date.now() < deadline && servers.length < 10; i += 1) {
      const reply = await sayHello(client, 'across networks', 2_000).catch(() => undefined);
      if (reply) servers.push(reply.server);
    }
    expect(servers).toEqual(Array<string>(10).fill(GATEWAY_NODE_IP));
    expect(gateway.calls()).toBe(10);
    expect(otherNode.calls()).toBe(0);
  });
});
