import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GreeterMesh } from './support/greeter-mesh.ts';
import type { GreeterServer, HelloReply } from './support/helloworld.ts';
import { writeCluster } from './support/mesh-fixture.ts';

grpcXds.register();

const HOST = 'helloworld.default.svc.cluster.local';
const TARGET = `xds:///${HOST}:5000`;
const V1 = '127.0.6.1';
const V2 = '127.0.6.2';

const ISTIO_CONFIG = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: default}
spec:
  host: helloworld
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: helloworld, namespace: default}
spec:
  hosts: [helloworld]
  http:
  - name: canary
    match:
    - headers: {x-canary: {exact: "true"}}
    route:
    - destination: {host: helloworld, subset: v2}
  - name: split
    route:
    - {destination: {host: helloworld, subset: v1}, weight: 90}
    - {destination: {host: helloworld, subset: v2}, weight: 10}
`;

function call(client: grpc.Client, metadata: Record<string, string> = {}): Promise<HelloReply> {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve, reject) => {
    const method = (
      client as unknown as Record<
        string,
        (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: grpc.requestCallback<HelloReply>) => void
      >
    ).SayHello!;
    method.call(client, { name: 'split' }, md, { deadline: Date.now() + 5_000 }, (error, reply) =>
      error || !reply ? reject(error ?? new Error('empty reply')) : resolve(reply),
    );
  });
}

describe('VirtualService + DestinationRule subsets, through a @grpc/grpc-js-xds client', () => {
  let mesh: GreeterMesh;
  let v1: GreeterServer;
  let client: grpc.Client;

  beforeAll(async () => {
    mesh = await GreeterMesh.create('traffic-routing');
    v1 = await mesh.greeter(V1);
    await mesh.greeter(V2, v1.port);
    await writeCluster(join(mesh.dir, 'cluster-a'), [
      {
        name: 'helloworld',
        port: 5000,
        targetPort: v1.port,
        endpoints: [
          { ip: V1, labels: { version: 'v1' } },
          { ip: V2, labels: { version: 'v2' } },
        ],
      },
    ]);
    await mesh.start({
      clusters: [{ name: 'cluster-a', manifests: join(mesh.dir, 'cluster-a') }],
      config: [{ manifests: await mesh.folder('istio', ISTIO_CONFIG, 'helloworld.yaml') }],
    });
    client = mesh.client(TARGET, {
      id: 'sidecar~127.0.6.9~client-0.default~default.svc.cluster.local',
      metadata: { CLUSTER_ID: 'cluster-a' },
    });
    // The canary route exists only once the VirtualService is applied: wait for it (bounded).
    const deadline = Date.now() + 15_000;
    for (let i = 0; i < 500 && Date.now() < deadline; i += 1) {
      const reply = await call(client, { 'x-canary': 'true' }).catch(() => undefined);
      if (reply?.server === V2 && (await call(client, { 'x-canary': 'true' })).server === V2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(() => mesh?.stop());

  it('splits 90/10 between subsets v1 and v2 over 2,000 RPCs (within ±3 points)', async () => {
    const served = new Map<string, number>();
    const deadline = Date.now() + 60_000;
    let sent = 0;
    for (; sent < 2_000 && Date.now() < deadline; sent += 1) {
      const reply = await call(client);
      served.set(reply.server, (served.get(reply.server) ?? 0) + 1);
    }
    expect(sent).toBe(2_000);
    expect([...served.keys()].sort()).toEqual([V1, V2]);
    const v2Share = (100 * (served.get(V2) ?? 0)) / sent;
    expect(v2Share).toBeGreaterThanOrEqual(7);
    expect(v2Share).toBeLessThanOrEqual(13);
  });

  it('routes every RPC with x-canary: true to subset v2', async () => {
    const before = v1.calls();
    for (let i = 0; i < 50; i += 1) expect((await call(client, { 'x-canary': 'true' })).server).toBe(V2);
    expect(v1.calls()).toBe(before);
  });
});
