import './support/enable-xds-rbac.ts';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sayHello } from './support/helloworld.ts';
import { CLIENT_ID, failureCode, MTLS_NS, startMtlsMesh, type MtlsMesh } from './support/mtls-mesh.ts';
import { eventually, eventuallyResolves } from './support/eventually.ts';

grpcXds.register();

/**
 * Issue 6's AuthorizationPolicy e2e: a DENY policy for the client's identity, applied to the config
 * kube cluster, reaches the proxyless server as gRPC RBAC (PERMISSION_DENIED at the client); deleting
 * it allows the client again. mTLS (ISTIO_MUTUAL + STRICT) gives the server the caller's principal.
 */
const ISTIO_CONFIG = [
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'greeter', namespace: MTLS_NS },
    spec: { host: `greeter.${MTLS_NS}.svc.cluster.local`, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
  },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: MTLS_NS },
    spec: { mtls: { mode: 'STRICT' } },
  },
];

const DENY_CLIENT = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'deny-client', namespace: MTLS_NS },
  spec: {
    selector: { matchLabels: { app: 'greeter' } },
    action: 'DENY',
    rules: [
      {
        from: [{ source: { principals: [CLIENT_ID.replace('spiffe://', '')] } }],
        to: [{ operation: { paths: ['/helloworld.Greeter/*'] } }],
      },
    ],
  },
};

describe('AuthorizationPolicy DENY on a proxyless gRPC server', () => {
  let mesh: MtlsMesh;
  let greeter: grpc.Client;

  beforeAll(async () => {
    mesh = await startMtlsMesh('grpc-authz', ISTIO_CONFIG);
    greeter = mesh.client(mesh.clientAgent.bootstrap);
    await eventuallyResolves(() => sayHello(greeter, 'before', 5_000), 'an mTLS RPC to greeter', 30_000);
  }, 60_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  it('yields PERMISSION_DENIED at the client, without running the handler', async () => {
    mesh.configCluster.sim.apply(DENY_CLIENT);
    await eventually(
      async () => (await failureCode(sayHello(greeter, 'denied?', 5_000))) === grpc.status.PERMISSION_DENIED,
      'the DENY policy to reach the server',
      20_000,
    );
    const before = mesh.peers.length;
    expect(await failureCode(sayHello(greeter, 'denied', 5_000))).toBe(grpc.status.PERMISSION_DENIED);
    expect(mesh.peers.length).toBe(before);
  }, 30_000);

  it('allows the client again once the policy is deleted', async () => {
    expect(mesh.configCluster.sim.remove('security.istio.io/v1', 'AuthorizationPolicy', MTLS_NS, 'deny-client')).toBe(
      true,
    );
    const reply = await eventuallyResolves(() => sayHello(greeter, 'again', 5_000), 'RPCs allowed again', 20_000);
    expect(reply.message).toBe('hello again');
    expect(mesh.peers.at(-1)).toBe(`URI:${CLIENT_ID}`);
  }, 30_000);
});
