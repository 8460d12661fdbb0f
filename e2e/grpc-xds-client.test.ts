import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GreeterMesh } from './support/greeter-mesh.ts';
import { sayHello, type GreeterServer } from './support/helloworld.ts';
import { writeCluster } from './support/mesh-fixture.ts';

grpcXds.register();

const TARGET = 'xds:///helloworld.default.svc.cluster.local:5000';

describe('a @grpc/grpc-js-xds client configured by meshpilot', () => {
  let mesh: GreeterMesh;
  let first: GreeterServer;
  let client: grpc.Client;

  beforeAll(async () => {
    mesh = await GreeterMesh.create('grpc-xds');
    first = await mesh.greeter('127.0.0.2');
    await mesh.greeter('127.0.0.3', first.port); // where the endpoint moves to
    await writeCluster(join(mesh.dir, 'cluster-a'), [
      { name: 'helloworld', port: 5000, targetPort: first.port, endpoints: [{ ip: '127.0.0.2' }] },
    ]);
    await mesh.start({ clusters: [{ name: 'cluster-a', manifests: join(mesh.dir, 'cluster-a') }] });
    client = mesh.client(TARGET, {
      id: 'sidecar~127.0.0.9~client-0.default~default.svc.cluster.local',
      metadata: { CLUSTER_ID: 'cluster-a' },
    });
  });

  afterAll(() => mesh?.stop());

  it('calls the service through xds:/// and follows an endpoint move without restarting anything', async () => {
    const reply = await sayHello(client, 'mesh', 15_000);
    expect(reply).toEqual({ message: 'hello mesh', server: '127.0.0.2' });

    await writeCluster(join(mesh.dir, 'cluster-a'), [
      { name: 'helloworld', port: 5000, targetPort: first.port, endpoints: [{ ip: '127.0.0.3' }] },
    ]);
    const deadline = Date.now() + 15_000;
    let moved = false;
    for (let attempt = 0; attempt < 300 && Date.now() < deadline && !moved; attempt += 1) {
      moved = (await sayHello(client, 'mesh')).server === '127.0.0.3';
      if (!moved) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(moved).toBe(true);
    const callsBefore = first.calls();
    for (let i = 0; i < 10; i += 1) expect((await sayHello(client, `after-${i}`)).server).toBe('127.0.0.3');
    expect(first.calls()).toBe(callsBefore);
  });
});
