import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRPC_SERVER_LISTENER_TEMPLATE } from '../translators/common/names.ts';
import { startTestMeshpilot } from './support/meshpilot-process.ts';
import { tempDir, writeCluster } from './support/mesh-fixture.ts';
import {
  GREETER_SERVICE,
  sayHello,
  xdsBootstrap,
  xdsGreeterClient,
  XDS_BOOTSTRAP_OPTION,
  type HelloReply,
} from './support/helloworld.ts';
import { bindXdsServer, freePort } from './support/xds-server-support.ts';

grpcXds.register();

const POD_IP = '127.0.0.2';
describe('a @grpc/grpc-js-xds XdsServer configured by meshpilot', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let server: grpcXds.XdsServer | undefined;
  let client: grpc.Client | undefined;
  let port: number;
  let calls = 0;

  beforeAll(async () => {
    port = await freePort(POD_IP);
    dir = await tempDir('grpc-xds-server');
    await writeCluster(join(dir.path, 'cluster-a'), [
      { name: 'helloworld', port: 5000, targetPort: port, endpoints: [{ ip: POD_IP, pod: 'helloworld-0' }] },
    ]);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [{ name: 'cluster-a', manifests: join(dir.path, 'cluster-a') }],
    });
  });

  afterAll(async () => {
    client?.close();
    server?.forceShutdown();
    await meshpilot?.stop();
    await dir?.remove();
  });

  it('serves on the pod port once meshpilot sends its server Listener, and a proxyless client reaches it through xds:///', async () => {
    const serverBootstrap = xdsBootstrap(
      meshpilot.xdsAddress,
      `sidecar~${POD_IP}~helloworld-0.default~default.svc.cluster.local`,
      { CLUSTER_ID: 'cluster-a' },
      undefined,
      { serverListenerResourceNameTemplate: GRPC_SERVER_LISTENER_TEMPLATE },
    );
    server = new grpcXds.XdsServer({ [XDS_BOOTSTRAP_OPTION]: serverBootstrap });
    server.addService(GREETER_SERVICE, {
      SayHello: (
        call: grpc.ServerUnaryCall<{ name?: string }, HelloReply>,
        callback: grpc.sendUnaryData<HelloReply>,
      ) => {
        calls += 1;
        callback(null, { message: `hello ${call.request.name ?? ''}`, server: 'xds-server' });
      },
    });
    expect(await bindXdsServer(server, `${POD_IP}:${port}`, grpc.ServerCredentials.createInsecure())).toBe(port);

    const clientBootstrap = xdsBootstrap(
      meshpilot.xdsAddress,
      'sidecar~127.0.0.9~client-0.default~default.svc.cluster.local',
      { CLUSTER_ID: 'cluster-a' },
    );
    client = xdsGreeterClient('xds:///helloworld.default.svc.cluster.local:5000', clientBootstrap);
    expect(await sayHello(client, 'mesh', 15_000)).toEqual({ message: 'hello mesh', server: 'xds-server' });
    expect(calls).toBe(1);
  });
});
