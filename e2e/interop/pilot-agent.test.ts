import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_ID,
  CLIENT_TOKEN,
  CLIENT_WORKLOAD,
  GREETER_TARGET,
  startMtlsMesh,
  type MtlsMesh,
} from '../support/mtls-mesh.ts';
import { MTLS_ISTIO_CONFIG } from './scenarios/mtls.ts';
import { ClientProcess } from './support/client-process.ts';
import { clientCommand } from './support/clients.ts';
import { startPilotAgent, type PilotAgent } from './support/pilot-agent-process.ts';
import { expectNoFailures } from './support/rpc-checks.ts';
import { until } from './support/scenario.ts';

/**
 * Issue 19 point 3: Istio's own agent as a client. pilot-agent (built from istio.io/istio at the pinned version) runs
 * in its proxyless-gRPC mode against meshpilot's TLS ADS port as it would against istiod's 15012: it authenticates
 * with the workload's service-account token (TokenReview on the config cluster), gets its certificate through the
 * CSR API, writes the file_watcher certificates and the gRPC bootstrap, and proxies xDS for a grpc-go application,
 * which then makes mTLS RPCs to a backend in another kube cluster (client in cluster-b, greeter in cluster-a; the
 * greeter is STRICT and records each caller's SPIFFE id).
 */
describe("Istio's pilot-agent (proxyless gRPC) against meshpilot", () => {
  let mesh: MtlsMesh;
  let agent: PilotAgent;

  beforeAll(async () => {
    grpcXds.register(); // the greeter's XdsServer runs in this process
    mesh = await startMtlsMesh('pilot-agent', MTLS_ISTIO_CONFIG);
    const dir = join(mesh.dir, 'pilot-agent-root');
    await mkdir(dir, { recursive: true });
    agent = await startPilotAgent({
      dir,
      workload: CLIENT_WORKLOAD,
      token: CLIENT_TOKEN,
      discoveryAddress: mesh.meshpilot.xdsTlsAddress,
      rootCertPem: mesh.meshpilot.rootCertPem,
      serverSan: 'localhost',
    });
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await mesh?.stop();
  });

  it("gets the workload's certificate from meshpilot's CA through the CSR API", async () => {
    const chain = await readFile(join(agent.certDir, 'cert-chain.pem'), 'utf8');
    const leaf = new X509Certificate(chain);
    expect(leaf.subjectAltName).toBe(`URI:${CLIENT_ID}`);
    expect(leaf.verify(new X509Certificate(mesh.meshpilot.rootCertPem).publicKey)).toBe(true);
    expect(await readFile(join(agent.certDir, 'root-cert.pem'), 'utf8')).toContain(
      mesh.meshpilot.rootCertPem.trim().split('\n')[1],
    );
  });

  it('writes a gRPC bootstrap naming its own xDS proxy and the file_watcher certificates', async () => {
    const bootstrap = JSON.parse(await readFile(agent.bootstrapPath, 'utf8')) as {
      xds_servers: { server_uri: string }[];
      node: { id: string; metadata: Record<string, unknown> };
      certificate_providers: Record<string, { plugin_name: string }>;
    };
    expect(bootstrap.xds_servers[0]!.server_uri).toMatch(/^unix:\/\/\/.*\/etc\/istio\/proxy\/XDS$/);
    expect(bootstrap.node.id).toBe('sidecar~127.0.0.3~client-0.mtls~mtls.svc.cluster.local');
    expect(bootstrap.node.metadata).toMatchObject({ GENERATOR: 'grpc', CLUSTER_ID: 'cluster-b' });
    expect(bootstrap.certificate_providers.default!.plugin_name).toBe('file_watcher');
  });

  it('a grpc-go application behind the agent makes mTLS RPCs to the greeter in the other kube cluster', async () => {
    const started = await ClientProcess.start(
      'grpc-go',
      clientCommand('grpc-go', { target: GREETER_TARGET, creds: 'xds' }),
      { GRPC_XDS_BOOTSTRAP: agent.bootstrapPath },
    );
    try {
      await until(
        async () => (await started.client.rpcs({ count: 2, deadlineMs: 10_000 })).failures === 0,
        'an mTLS RPC through the agent',
        60_000,
      );
      const before = mesh.peers.length;
      const result = await started.client.rpcs({ count: 20 });
      expectNoFailures(result, 'mTLS RPCs through pilot-agent');
      expect(result.byPeer).toEqual({ 'greeter-0': 20 });
      expect(new Set(mesh.peers.slice(before))).toEqual(new Set([`URI:${CLIENT_ID}`]));
      // The application's xDS reached meshpilot through the agent's upstream stream: on the TLS port (the only
      // address the agent has), which accepts only authenticated callers, for the workload's node.
      const syncz = (await (await fetch(`${mesh.meshpilot.adminUrl}/debug/syncz`)).json()) as {
        proxy: string;
        kubeCluster: string;
        types: Record<string, { status: string }>;
      }[];
      const viaAgent = syncz.find((s) => s.proxy === 'sidecar~127.0.0.3~client-0.mtls~mtls.svc.cluster.local');
      expect(viaAgent, JSON.stringify(syncz)).toMatchObject({ kubeCluster: 'cluster-b' });
      expect(Object.values(viaAgent!.types).every((t) => t.status === 'SYNCED')).toBe(true);
    } finally {
      await started.client.stop();
    }
  }, 120_000);
});
