import type * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GreeterMesh } from './support/greeter-mesh.ts';
import { sayHello, type GreeterServer, type HelloReply } from './support/helloworld.ts';
import { eastWestGatewayManifest, serviceManifests } from './support/mesh-fixture.ts';

grpcXds.register();

/**
 * The east-west gateway ejection remedy (README), end to end with a proxyless client in net-a:
 * `helloworld` has two local endpoints and one remote endpoint in net-b, reached through net-b's
 * single gateway endpoint; `control` has two local endpoints only. Both have the same outlier
 * detection. The gateway and one control endpoint fail every RPC for a while: the control endpoint
 * is ejected (outlier detection works), the gateway endpoint is not (the remedy), so when the local
 * helloworld endpoints die, the remote network still answers.
 */

const GATEWAY = '127.0.7.10';
const LOCAL = ['127.0.7.1', '127.0.7.2'];
const CONTROL = ['127.0.7.21', '127.0.7.22'];

const outlierRule = (host: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${host}, namespace: default}
spec:
  host: ${host}
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 5, interval: 500ms, baseEjectionTime: 5m, maxEjectionPercent: 100}
`;

async function attempt(client: grpc.Client): Promise<HelloReply | undefined> {
  return sayHello(client, 'ejection', 2_000).catch(() => undefined);
}

describe('east-west gateway ejection remedy (proxyless gRPC)', () => {
  let mesh: GreeterMesh;
  // The gateway and flakyControl fail every RPC while set failing (INTERNAL: not retried by the default policy).
  let gateway: GreeterServer;
  let flakyControl: GreeterServer;
  let locals: GreeterServer[] = [];
  let steadyControl: GreeterServer;
  let helloworld: grpc.Client;
  let control: grpc.Client;

  beforeAll(async () => {
    mesh = await GreeterMesh.create('gateway-ejection');
    gateway = await mesh.greeter(GATEWAY);
    const first = await mesh.greeter(LOCAL[0]!);
    locals = [first, await mesh.greeter(LOCAL[1]!, first.port)];
    flakyControl = await mesh.greeter(CONTROL[0]!);
    steadyControl = await mesh.greeter(CONTROL[1]!, flakyControl.port);
    const clusterA = await mesh.folder('cluster-a', [
      ...serviceManifests({
        name: 'helloworld',
        port: 5000,
        targetPort: first.port,
        endpoints: LOCAL.map((ip) => ({ ip })),
      }),
      ...serviceManifests({
        name: 'control',
        port: 6000,
        targetPort: flakyControl.port,
        clusterIP: '10.96.0.11',
        endpoints: CONTROL.map((ip) => ({ ip })),
      }),
    ]);
    // net-b: one remote helloworld pod (Istio mTLS-capable, so it may cross networks) behind one gateway Service.
    const clusterB = await mesh.folder('cluster-b', [
      ...serviceManifests({
        name: 'helloworld',
        port: 5000,
        targetPort: first.port,
        endpoints: [{ ip: '10.77.0.1', labels: { 'security.istio.io/tlsMode': 'istio' } }],
      }),
      eastWestGatewayManifest({
        network: 'net-b',
        gatewayPort: gateway.port,
        type: 'LoadBalancer',
        clusterIP: '10.96.1.1',
        externalIPs: [GATEWAY],
        port: gateway.port,
        targetPort: gateway.port,
      }),
    ]);
    const istio = await mesh.folder(
      'istio',
      `${outlierRule('helloworld')}---\n${outlierRule('control')}`,
      'rules.yaml',
    );
    await mesh.start({
      clusters: [
        { name: 'cluster-a', network: 'net-a', manifests: clusterA },
        { name: 'cluster-b', network: 'net-b', manifests: clusterB },
      ],
      config: [{ manifests: istio }],
      // Both are off by default (Istio sends proxyless gRPC no outlier detection at all).
      optIn: { gatewayEjectionRemedy: true, grpcOutlierDetection: true },
    });
    const node = {
      id: 'sidecar~127.0.7.9~client-0.default~default.svc.cluster.local',
      metadata: { CLUSTER_ID: 'cluster-a', NETWORK: 'net-a' },
    };
    helloworld = mesh.client('xds:///helloworld.default.svc.cluster.local:5000', node);
    control = mesh.client('xds:///control.default.svc.cluster.local:6000', node);
  });

  afterAll(() => mesh?.stop());

  it('keeps the only gateway endpoint of net-b in rotation while outlier detection ejects a failing local endpoint', async () => {
    // Both clients see every endpoint before anything fails (bounded).
    const deadline = Date.now() + 20_000;
    const seen = new Set<string>();
    for (let i = 0; i < 2_000 && Date.now() < deadline && seen.size < 5; i += 1) {
      for (const client of [helloworld, control]) {
        const reply = await attempt(client);
        if (reply) seen.add(reply.server);
      }
    }
    expect([...seen].sort()).toEqual([...CONTROL, GATEWAY, ...LOCAL].sort());

    gateway.setFailing(true);
    flakyControl.setFailing(true);
    // Load until the control's failing endpoint is ejected: no call reached it in 100 control RPCs.
    let ejected = false;
    let gatewayCallsWhileControlEjected = 0;
    const loadDeadline = Date.now() + 20_000;
    for (let round = 0; round < 200 && Date.now() < loadDeadline && !ejected; round += 1) {
      const controlBefore = flakyControl.calls();
      const gatewayBefore = gateway.calls();
      for (let i = 0; i < 100; i += 1) {
        await attempt(control);
        await attempt(helloworld);
      }
      ejected = flakyControl.calls() === controlBefore;
      gatewayCallsWhileControlEjected = gateway.calls() - gatewayBefore;
    }
    expect(ejected, 'outlier detection ejects the failing control endpoint').toBe(true);
    // Round robin over three endpoints: about a third of 100 RPCs still reach the failing gateway.
    expect(gatewayCallsWhileControlEjected).toBeGreaterThan(10);

    // The gateway recovers; the local helloworld endpoints die. net-b must still answer.
    gateway.setFailing(false);
    flakyControl.setFailing(false);
    await Promise.all(locals.map((l) => l.kill()));
    let consecutive = 0;
    const recoverDeadline = Date.now() + 15_000;
    for (let i = 0; i < 1_000 && Date.now() < recoverDeadline && consecutive < 20; i += 1) {
      const reply = await attempt(helloworld);
      consecutive = reply?.server === GATEWAY ? consecutive + 1 : 0;
    }
    expect(consecutive).toBe(20);

    // The control shows what happens without the remedy: its recovered endpoint stays ejected
    // (5 minutes), so once its last other endpoint dies, its RPCs fail.
    await steadyControl.kill();
    const callsBefore = flakyControl.calls();
    const replies = [];
    for (let i = 0; i < 20; i += 1) replies.push(await attempt(control));
    expect(replies.every((r) => r === undefined)).toBe(true);
    expect(flakyControl.calls()).toBe(callsBefore);
  });
});
