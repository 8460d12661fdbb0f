import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { stringify } from 'yaml';
import type { Runtime } from '../../server/runtime.ts';
import { loadOrCreateCa } from '../../server/security/ca.ts';
import { CERT_CHAIN_FILE, KEY_FILE } from '../../agent/grpc-bootstrap.ts';
import { WorkloadAgent } from '../../agent/workload-agent.ts';
import { startRuntimeFromConfigFile, type TestKubeCluster } from './meshpilot-process.ts';

/**
 * e2e support for zero-trust scenarios: meshpilot with a `security:` section (CA, TLS xDS port with
 * the CSR API, TokenReview against a kube-sim), and workloads whose certificates and grpc-js-xds
 * bootstrap come from `meshpilot agent` (run in-process).
 */

export interface SecureMeshpilot extends Runtime {
  readonly xdsAddress: string;
  readonly xdsTlsAddress: string;
  readonly adminUrl: string;
  readonly rootCertPem: string;
}

export async function startSecureMeshpilot(
  dir: string,
  mesh: {
    clusters: readonly TestKubeCluster[];
    config?: readonly ({ manifests: string } | { cluster: string })[];
    tokenReviewCluster: string;
  },
): Promise<SecureMeshpilot> {
  const configPath = join(dir, 'meshpilot.yaml');
  await writeFile(
    configPath,
    stringify({
      clusters: mesh.clusters,
      ...(mesh.config ? { config: mesh.config } : {}),
      debounce: { quietMs: 20, maxMs: 200 },
      listen: { xds: '127.0.0.1:0', xdsTls: '127.0.0.1:0', admin: '127.0.0.1:0' },
      security: {
        caDir: join(dir, 'ca'),
        servingDnsNames: ['localhost'],
        servingIps: ['127.0.0.1'],
        tokenReviewCluster: mesh.tokenReviewCluster,
      },
      logLevel: 'silent',
    }),
  );
  const runtime = await startRuntimeFromConfigFile(configPath);
  if (runtime.security === undefined || runtime.xdsTlsPort === undefined)
    throw new Error('meshpilot started without its security plane');
  return Object.assign(runtime, {
    xdsAddress: `127.0.0.1:${runtime.xdsPort}`,
    xdsTlsAddress: `127.0.0.1:${runtime.xdsTlsPort}`,
    adminUrl: `http://127.0.0.1:${runtime.adminPort}`,
    rootCertPem: runtime.security.ca.rootCertPem(),
  });
}

export interface TestWorkload {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podName: string;
  readonly podIp: string;
  readonly kubeCluster: string;
}

export interface AgentOutput {
  readonly outDir: string;
  /** The bootstrap JSON the agent wrote, for the grpc-js-xds bootstrap channel option. */
  readonly bootstrap: string;
  readonly spiffeId: string;
  stop(): void;
}

/**
 * Runs `meshpilot agent` in-process for `workload`: CSR over the TLS port authenticated with
 * `token` (a service-account token the TokenReview cluster knows), files and bootstrap in `outDir`.
 */
export async function runWorkloadAgent(
  meshpilot: SecureMeshpilot,
  workload: TestWorkload,
  token: string,
  outDir: string,
  logger: Logger = pino({ level: 'silent' }),
): Promise<AgentOutput> {
  const tokenFile = join(outDir, '..', `${workload.podName}.token`);
  const rootCertFile = join(outDir, '..', `${workload.podName}.mesh-root.pem`);
  await writeFile(tokenFile, token, { mode: 0o600 });
  await writeFile(rootCertFile, meshpilot.rootCertPem);
  const agent = new WorkloadAgent({
    workload: { ...workload, domainSuffix: 'cluster.local' },
    trustDomain: 'cluster.local',
    caAddress: meshpilot.xdsTlsAddress,
    xdsAddress: meshpilot.xdsAddress,
    xdsCredentials: 'insecure',
    outDir,
    tokenFile,
    rootCertFile,
    trustOnFirstUse: false,
    ttlSeconds: 3600,
    serverName: 'localhost',
    logger,
  });
  const issued = await agent.start();
  return {
    outDir,
    bootstrap: await readFile(agent.bootstrapPath, 'utf8'),
    spiffeId: issued.spiffeId,
    stop: () => agent.stop(),
  };
}

/**
 * Replaces the workload certificate in `outDir` with one for the same identity from an unrelated
 * CA (made in `caDir`), keeping root-cert.pem (the mesh root): the workload still trusts the mesh,
 * but the mesh must not trust it.
 */
export async function impostorCertificate(
  outDir: string,
  caDir: string,
  identity: { namespace: string; serviceAccount: string },
): Promise<string> {
  const foreign = await loadOrCreateCa({ dir: caDir, trustDomain: 'cluster.local' });
  const issued = await foreign.issueWorkloadCertificate(identity);
  await writeFile(join(outDir, KEY_FILE), issued.privateKeyPem, { mode: 0o600 });
  await writeFile(join(outDir, CERT_CHAIN_FILE), issued.certChainPem);
  return issued.spiffeId;
}
