import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { harnessDir } from '../../support/harness.ts';
import type { TestWorkload } from '../../support/secure-mesh.ts';
import { freePort } from '../../support/xds-server-support.ts';
import { until } from './scenario.ts';

/**
 * Istio's pilot-agent (interop/pilot-agent) for one workload in its proxyless-gRPC mode (DISABLE_ENVOY), run as
 * the grpc-agent injection template runs it but in a folder of its own: its working directory stands for the pod's
 * root, so the service-account token is at ./var/run/secrets/tokens/istio-token (third-party JWT, as Istio's
 * default), and the agent's paths (ProxyConfig configPath, OUTPUT_CERTS, GRPC_XDS_BOOTSTRAP) are under it. It
 * sends a CSR with that token to `caAddress`, writes the certificate files for gRPC's file_watcher provider and
 * a gRPC bootstrap naming its local xDS proxy (a Unix socket), which it connects to `discoveryAddress` over TLS.
 */
export interface PilotAgent {
  readonly dir: string;
  readonly bootstrapPath: string;
  readonly certDir: string;
  /** The agent's last lines of output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface PilotAgentOptions {
  readonly dir: string;
  readonly workload: TestWorkload;
  readonly token: string;
  /** meshpilot's TLS ADS + CSR port (15012's role). */
  readonly discoveryAddress: string;
  readonly rootCertPem: string;
  /** A DNS SAN of meshpilot's serving certificate (ISTIOD_SAN). */
  readonly serverSan: string;
}

export async function startPilotAgent(options: PilotAgentOptions): Promise<PilotAgent> {
  const { dir, workload } = options;
  const tokenDir = join(dir, 'var', 'run', 'secrets', 'tokens');
  const configPath = join(dir, 'etc', 'istio', 'proxy');
  const certDir = join(dir, 'var', 'lib', 'istio', 'data');
  const rootCert = join(dir, 'var', 'run', 'secrets', 'istio', 'root-cert.pem');
  // The pod's volumes (istio-token, istio-data, the root certificate's ConfigMap) exist before the agent starts.
  await mkdir(tokenDir, { recursive: true });
  await mkdir(certDir, { recursive: true });
  await mkdir(join(dir, 'var', 'run', 'secrets', 'istio'), { recursive: true });
  await writeFile(join(tokenDir, 'istio-token'), options.token, { mode: 0o600 });
  await writeFile(rootCert, options.rootCertPem);
  const bootstrapPath = join(configPath, 'grpc-bootstrap.json');
  const statusPort = await freePort('127.0.0.1');
  const proxyConfig = { discoveryAddress: options.discoveryAddress, configPath, statusPort };
  const child: ChildProcess = spawn(join(harnessDir('pilot-agent'), 'pilot-agent'), ['proxy', 'sidecar'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      PROXY_CONFIG: JSON.stringify(proxyConfig),
      DISABLE_ENVOY: 'true',
      GRPC_XDS_BOOTSTRAP: bootstrapPath,
      OUTPUT_CERTS: certDir,
      XDS_ROOT_CA: rootCert,
      CA_ROOT_CA: rootCert,
      CA_ADDR: options.discoveryAddress,
      ISTIOD_SAN: options.serverSan,
      POD_NAME: workload.podName,
      POD_NAMESPACE: workload.namespace,
      INSTANCE_IP: workload.podIp,
      SERVICE_ACCOUNT: workload.serviceAccount,
      ISTIO_META_CLUSTER_ID: workload.kubeCluster,
      TRUST_DOMAIN: 'cluster.local',
    },
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
  const agent: PilotAgent = {
    dir,
    bootstrapPath,
    certDir,
    output: () => lines.join('\n'),
    async stop() {
      if (exited !== undefined) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
  try {
    await until(
      async () => {
        if (exited !== undefined) throw new Error(`pilot-agent ${exited}:\n${agent.output()}`);
        return existsSync(bootstrapPath) && existsSync(join(certDir, 'cert-chain.pem'));
      },
      'pilot-agent to write its gRPC bootstrap and workload certificate',
      60_000,
    );
  } catch (error: unknown) {
    await agent.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${agent.output()}`, { cause: error });
  }
  return agent;
}
