import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sayHello } from './support/helloworld.ts';
import {
  CLIENT_ID,
  CLIENT_TOKEN,
  CLIENT_WORKLOAD,
  failureCode,
  MTLS_NS,
  SERVER_ID,
  startMtlsMesh,
  type MtlsMesh,
} from './support/mtls-mesh.ts';
import { impostorCertificate, runWorkloadAgent } from './support/secure-mesh.ts';
import { eventuallyResolves } from './support/eventually.ts';

grpcXds.register();

/**
 * Issue 7's zero-trust e2e: a proxyless grpc-js-xds client (kube cluster b) calls an xDS-enabled
 * grpc-js server (kube cluster a) with certificates from `meshpilot agent`, over mTLS configured by
 * meshpilot from a DestinationRule ISTIO_MUTUAL (client) and a PeerAuthentication STRICT (server).
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

describe('mTLS between a grpc-js-xds client and an XdsServer, identities from meshpilot agent, in two kube-sim clusters', () => {
  let mesh: MtlsMesh;

  beforeAll(async () => {
    mesh = await startMtlsMesh('grpc-mtls', ISTIO_CONFIG);
  }, 60_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  it('the agent certificates carry the workloads’ SPIFFE ids', () => {
    expect(mesh.serverAgent.spiffeId).toBe(SERVER_ID);
    expect(mesh.clientAgent.spiffeId).toBe(CLIENT_ID);
  });

  it('the mTLS RPC succeeds and the server sees the client’s SPIFFE identity', async () => {
    const greeter = mesh.client(mesh.clientAgent.bootstrap);
    // The first RPCs may race the client's Cluster (with its TLS) arriving.
    const reply = await eventuallyResolves(() => sayHello(greeter, 'mesh', 5_000), 'an mTLS RPC to greeter', 30_000);
    expect(reply).toEqual({ message: 'hello mesh', server: 'greeter-0' });
    expect(mesh.peers.at(-1)).toBe(`URI:${CLIENT_ID}`);
  }, 40_000);

  it('a client whose certificate comes from another CA is refused, and the handler never runs', async () => {
    const impostorDir = await mesh.agentDir('impostor');
    const impostor = await runWorkloadAgent(
      mesh.meshpilot,
      { ...CLIENT_WORKLOAD, podName: 'client-1' },
      CLIENT_TOKEN,
      impostorDir,
    );
    impostor.stop();
    expect(
      await impostorCertificate(impostorDir, join(mesh.dir, 'foreign-ca'), {
        namespace: MTLS_NS,
        serviceAccount: 'client',
      }),
    ).toBe(CLIENT_ID);
    const before = mesh.peers.length;
    expect(await failureCode(sayHello(mesh.client(impostor.bootstrap), 'impostor', 5_000))).toBe(
      grpc.status.UNAVAILABLE,
    );
    expect(mesh.peers.length).toBe(before);
  }, 30_000);

  it('STRICT refuses a plaintext client', async () => {
    const before = mesh.peers.length;
    expect(await failureCode(sayHello(mesh.directClient(grpc.credentials.createInsecure()), 'plaintext', 5_000))).toBe(
      grpc.status.UNAVAILABLE,
    );
    expect(mesh.peers.length).toBe(before);
  }, 30_000);
});
