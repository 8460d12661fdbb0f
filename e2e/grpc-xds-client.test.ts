import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMeshpilot } from './support/meshpilot-process.ts';
import { tempDir, writeCluster } from './support/mesh-fixture.ts';
import {
  GreeterClient,
  sayHello,
  startGreeter,
  xdsBootstrap,
  XDS_BOOTSTRAP_OPTION,
  type GreeterServer,
} from './support/helloworld.ts';

grpcXds.register();

const TARGET = 'xds:///helloworld.default.svc.cluster.local:5000';

describe('a @grpc/grpc-js-xds client configured by meshpilot', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let first: GreeterServer;
  let second: GreeterServer;
  let client: grpc.Client;

  beforeAll(async () => {
    first = await startGreeter('127.0.0.2');
    second = await startGreeter('127.0.0.3', first.port);
    dir = await tempDir('grpc-xds');
    await writeCluster(join(dir.path, 'cluster-a'), [
      { name: 'helloworld', port: 5000, targetPort: first.port, endpoints: [{ ip: '127.0.0.2' }] },
    ]);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [{ name: 'cluster-a', manifests: join(dir.path, 'cluster-a') }],
    });
    const bootstrap = xdsBootstrap(
      meshpilot.xdsAddress,
      'sidecar~127.0.0.9~client-0.default~default.svc.cluster.local',
      { CLUSTER_ID: 'cluster-a' },
    );
    client = new GreeterClient(TARGET, grpc.credentials.createInsecure(), { [XDS_BOOTSTRAP_OPTION]: bootstrap });
  });

  afterAll(async () => {
    client?.close();
    await meshpilot?.stop();
    await Promise.all([first?.stop(), second?.stop()]);
    await dir?.remove();
  });

  it('calls the service through xds:/// and follows an endpoint move without restarting anything', async () => {
    const reply = await sayHello(client, 'mesh', 15_000);
    expect(reply).toEqual({ message: 'hello mesh', server: '127.0.0.2' });

    await writeCluster(join(dir.path, 'cluster-a'), [
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
