import type * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GreeterMesh } from './support/greeter-mesh.ts';
import { replyingServers, sayHello, type GreeterServer } from './support/helloworld.ts';

grpcXds.register();

/**
 * A proxyless gRPC client (grpc-js-xds) reaches a VM (issue #15 point 4, Done means): the kube Service
 * vm-greeter has no pods, only a selector; the WorkloadEntry `vm` of the config folder carries its labels,
 * an address on loopback and the port the VM listens on under the service port's name, so meshpilot makes it
 * the Service's endpoint, as Istio does. A second greeter is named by a WorkloadEntry whose labels the
 * selector does not match, and must get nothing.
 */

const VM_IP = '127.0.9.10';
const OTHER_VM_IP = '127.0.9.11';

describe('a WorkloadEntry selected by a kube Service (proxyless gRPC)', () => {
  let mesh: GreeterMesh;
  let vm: GreeterServer;
  let otherVm: GreeterServer;
  let client: grpc.Client;

  beforeAll(async () => {
    mesh = await GreeterMesh.create('workload-entry');
    vm = await mesh.greeter(VM_IP);
    otherVm = await mesh.greeter(OTHER_VM_IP, vm.port);
    const cluster = await mesh.folder('cluster-a', [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'vm-greeter', namespace: 'default' },
        spec: {
          clusterIP: '10.96.0.20',
          selector: { app: 'vm-greeter' },
          ports: [{ name: 'grpc', port: 5000, targetPort: 5000, protocol: 'TCP' }],
        },
      },
    ]);
    const entry = (name: string, address: string, app: string) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'WorkloadEntry',
      metadata: { name, namespace: 'default' },
      spec: { address, labels: { app }, ports: { grpc: vm.port } },
    });
    const istio = await mesh.folder(
      'istio',
      [entry('vm', VM_IP, 'vm-greeter'), entry('other-vm', OTHER_VM_IP, 'other')],
      'vms.yaml',
    );
    await mesh.start({
      clusters: [{ name: 'cluster-a', network: 'net-a', manifests: cluster }],
      config: [{ manifests: istio }],
    });
    client = mesh.client('xds:///vm-greeter.default.svc.cluster.local:5000', {
      id: 'sidecar~127.0.9.9~client-0.default~default.svc.cluster.local',
      metadata: { CLUSTER_ID: 'cluster-a', NETWORK: 'net-a' },
    });
  });

  afterAll(() => mesh?.stop());

  it('sends every call to the VM the WorkloadEntry names, on the port it maps the service port to', async () => {
    // The first call may wait for xDS (bounded: 20 s); a call that timed out on the client may still reach
    // the VM once xDS arrives, so the 10 calls counted start from the first that succeeded.
    expect(await replyingServers(client, 'to the VM', 1, 5_000)).toEqual([VM_IP]);
    const before = vm.calls();
    const servers: string[] = [];
    for (let i = 0; i < 10; i += 1) servers.push((await sayHello(client, 'to the VM', 5_000)).server);
    expect(servers).toEqual(Array<string>(10).fill(VM_IP));
    expect(vm.calls() - before).toBe(10);
    expect(otherVm.calls()).toBe(0);
  });
});
