import type * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GreeterMesh } from './support/greeter-mesh.ts';
import { replyingServers, type GreeterServer } from './support/helloworld.ts';
import { eastWestGatewayManifest, serviceManifests } from './support/mesh-fixture.ts';

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
  let mesh: GreeterMesh;
  let gateway: GreeterServer;
  let otherNode: GreeterServer;
  let client: grpc.Client;

  beforeAll(async () => {
    mesh = await GreeterMesh.create('gateway-discovery');
    gateway = await mesh.greeter(GATEWAY_NODE_IP);
    otherNode = await mesh.greeter(OTHER_NODE_IP, gateway.port);
    // cluster-a knows the service (so it has a VIP there) but runs none of its pods.
    const clusterA = await mesh.folder(
      'cluster-a',
      serviceManifests({ name: 'helloworld', port: 5000, endpoints: [] }),
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
    const clusterB = await mesh.folder('cluster-b', [
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
      eastWestGatewayManifest({
        network: 'net-b',
        nodeSelector: '{"role": "eastwest"}',
        type: 'NodePort',
        clusterIP: '10.96.1.1',
        port: 15443,
        targetPort: 15443,
        nodePort: gateway.port,
      }),
    ]);
    await mesh.start({
      clusters: [
        { name: 'cluster-a', network: 'net-a', manifests: clusterA },
        { name: 'cluster-b', manifests: clusterB },
      ],
    });
    client = mesh.client('xds:///helloworld.default.svc.cluster.local:5000', {
      id: 'sidecar~127.0.8.9~client-0.default~default.svc.cluster.local',
      metadata: { CLUSTER_ID: 'cluster-a', NETWORK: 'net-a' },
    });
  });

  afterAll(() => mesh?.stop());

  it('sends every call to the gateway on the selected node’s ExternalIP and node port', async () => {
    // The first calls may wait for xDS.
    expect(await replyingServers(client, 'across networks', 10)).toEqual(Array<string>(10).fill(GATEWAY_NODE_IP));
    expect(gateway.calls()).toBe(10);
    expect(otherNode.calls()).toBe(0);
  });
});
