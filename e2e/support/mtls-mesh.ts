import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { serviceManifests, tempDir } from './mesh-fixture.ts';
import {
  GREETER_SERVICE,
  GreeterClient,
  XDS_BOOTSTRAP_OPTION,
  xdsGreeterClient,
  type HelloReply,
} from './helloworld.ts';
import { startSimCluster, type SimCluster } from './kube-sim-clusters.ts';
import {
  runWorkloadAgent,
  startSecureMeshpilot,
  type AgentOutput,
  type SecureMeshpilot,
  type TestWorkload,
} from './secure-mesh.ts';
import { bindXdsServer, freePort } from './xds-server-support.ts';

/**
 * A zero-trust mesh for e2e tests: kube-sim cluster-a (config cluster, TokenReview, the greeter
 * service at 127.0.0.2) and cluster-b (the client pod 127.0.0.3), meshpilot with a CA, certificates
 * and bootstraps from `meshpilot agent`, an XdsServer with XdsServerCredentials serving greeter,
 * recording each caller's certificate SANs. Istio config goes into cluster-a.
 */
export const MTLS_NS = 'mtls';
export const SERVER_IP = '127.0.0.2';
export const CLIENT_IP = '127.0.0.3';
export const GREETER_TARGET = `xds:///greeter.${MTLS_NS}.svc.cluster.local:5000`;
export const CLIENT_ID = `spiffe://cluster.local/ns/${MTLS_NS}/sa/client`;
export const SERVER_ID = `spiffe://cluster.local/ns/${MTLS_NS}/sa/greeter`;
export const CLIENT_WORKLOAD: TestWorkload = {
  namespace: MTLS_NS,
  serviceAccount: 'client',
  podName: 'client-0',
  podIp: CLIENT_IP,
  kubeCluster: 'cluster-b',
};
export const CLIENT_TOKEN = 'token-client';

export interface MtlsMesh {
  readonly dir: string;
  readonly configCluster: SimCluster;
  readonly meshpilot: SecureMeshpilot;
  readonly serverAgent: AgentOutput;
  readonly clientAgent: AgentOutput;
  readonly serverPort: number;
  /** The caller SANs (`URI:spiffe://…`) the greeter handler saw, one entry per call it ran. */
  readonly peers: readonly (string | undefined)[];
  /** A grpc-js-xds client of greeter with `bootstrap` (XdsChannelCredentials unless given); closed by stop(). */
  client(bootstrap: string, credentials?: grpc.ChannelCredentials): grpc.Client;
  /** A plain grpc-js client straight to the server's address. */
  directClient(credentials: grpc.ChannelCredentials): grpc.Client;
  agentDir(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startMtlsMesh(name: string, istioConfig: readonly Record<string, unknown>[]): Promise<MtlsMesh> {
  const dir = await tempDir(name);
  const port = await freePort(SERVER_IP);
  const clients: grpc.Client[] = [];
  const peers: (string | undefined)[] = [];
  const stops: (() => Promise<void> | void)[] = [() => dir.remove()];
  const stop = async () => {
    for (const step of stops.reverse()) await step();
  };
  try {
    const clusterA = await startSimCluster(dir.path, 'cluster-a', [
      ...serviceManifests({
        name: 'greeter',
        namespace: MTLS_NS,
        port: 5000,
        targetPort: port,
        clusterIP: '10.96.0.20',
        endpoints: [{ ip: SERVER_IP, pod: 'greeter-0' }],
      }),
      ...istioConfig,
    ]);
    stops.push(() => clusterA.sim.stop());
    const clusterB = await startSimCluster(
      dir.path,
      'cluster-b',
      serviceManifests({
        name: 'client',
        namespace: MTLS_NS,
        port: 7000,
        clusterIP: '10.96.0.21',
        endpoints: [{ ip: CLIENT_IP, pod: 'client-0' }],
      }),
    );
    stops.push(() => clusterB.sim.stop());
    clusterA.sim.registerServiceAccountToken('token-greeter', MTLS_NS, 'greeter');
    clusterA.sim.registerServiceAccountToken(CLIENT_TOKEN, MTLS_NS, 'client');
    const meshpilot = await startSecureMeshpilot(dir.path, {
      clusters: [
        { name: 'cluster-a', kubeconfig: clusterA.kubeconfigPath },
        { name: 'cluster-b', kubeconfig: clusterB.kubeconfigPath },
      ],
      config: [{ cluster: 'cluster-a' }],
      tokenReviewCluster: 'cluster-a',
    });
    stops.push(() => meshpilot.stop());
    const agentDir = async (agent: string) => {
      const path = join(dir.path, 'agents', agent);
      await mkdir(path, { recursive: true });
      return path;
    };
    const serverWorkload = {
      namespace: MTLS_NS,
      serviceAccount: 'greeter',
      podName: 'greeter-0',
      podIp: SERVER_IP,
      kubeCluster: 'cluster-a',
    };
    const serverAgent = await runWorkloadAgent(meshpilot, serverWorkload, 'token-greeter', await agentDir('greeter'));
    stops.push(() => serverAgent.stop());
    const clientAgent = await runWorkloadAgent(meshpilot, CLIENT_WORKLOAD, CLIENT_TOKEN, await agentDir('client'));
    stops.push(() => clientAgent.stop());
    stops.push(() => clients.forEach((c) => c.close()));

    const server = new grpcXds.XdsServer({ [XDS_BOOTSTRAP_OPTION]: serverAgent.bootstrap });
    stops.push(() => server.forceShutdown());
    server.addService(GREETER_SERVICE, {
      SayHello: (
        call: grpc.ServerUnaryCall<{ name?: string }, HelloReply>,
        callback: grpc.sendUnaryData<HelloReply>,
      ) => {
        peers.push(call.getAuthContext().sslPeerCertificate?.subjectaltname);
        callback(null, { message: `hello ${call.request.name ?? ''}`, server: 'greeter-0' });
      },
    });
    await bindXdsServer(
      server,
      `${SERVER_IP}:${port}`,
      new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()),
    );
    const track = (client: grpc.Client) => {
      clients.push(client);
      return client;
    };
    return {
      dir: dir.path,
      configCluster: clusterA,
      meshpilot,
      serverAgent,
      clientAgent,
      serverPort: port,
      peers,
      client: (bootstrap, credentials = new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure())) =>
        track(xdsGreeterClient(GREETER_TARGET, bootstrap, credentials)),
      directClient: (credentials) => track(new GreeterClient(`${SERVER_IP}:${port}`, credentials)),
      agentDir,
      stop,
    };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}

/** The status code of a failed RPC, or undefined when it succeeded. */
export async function failureCode(rpc: Promise<unknown>): Promise<grpc.status | undefined> {
  return rpc.then(
    () => undefined,
    (error: unknown) => (error as grpc.ServiceError).code,
  );
}
