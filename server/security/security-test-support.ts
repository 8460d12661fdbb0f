/**
 * Test fixture for the TLS xDS port: a security plane on loopback ephemeral ports beside a plaintext
 * ADS server, one XdsService for both, kube-sim for TokenReview, and every log line captured.
 */
import { Server, credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import pino from 'pino';
import { XdsCache } from '../cache/xds-cache.ts';
import { Metrics } from '../metrics/metrics.ts';
import { listenGrpc } from '../xds/xds-server.ts';
import { createMeshXdsService, type MeshXdsService } from '../cache/mesh-xds-service.ts';
import { SECRET_TYPE } from '../../protos/type-urls.ts';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { DEFAULT_SECURITY, type SecurityConfig } from '../config/schema.ts';
import { startSecurity, type SecurityPlane } from './start-security.ts';
import { kubeTokenReviewer } from './token-review.ts';
import { makeTempDir } from '../../pki/test-support.ts';
import type { WorkloadIdentity } from '../../pki/spiffe.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { KubeCredentialSecrets } from './gateway-credential-secrets.ts';

export interface SecurityFixture {
  readonly security: SecurityPlane;
  readonly xds: MeshXdsService;
  readonly kubeSim: KubeSim;
  /** The CA folder (ca-key.pem, root-cert.pem, ...). */
  readonly caDir: string;
  readonly tlsAddress: string;
  readonly plaintextAddress: string;
  readonly logLines: string[];
  /** TLS channel credentials trusting the mesh root, with a client certificate for `identity` if given. */
  channelCredentials(identity?: WorkloadIdentity): Promise<ChannelCredentials>;
  stop(): Promise<void>;
}

export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

export interface SecurityFixtureOptions {
  /** The mesh whose Gateways name the credentials gateways may have; Secrets are read from the fixture's kube-sim (kube cluster cluster-a). */
  readonly gatewaySnapshot?: () => MeshSnapshot | undefined;
}

export async function startSecurityFixture(
  settings: Partial<SecurityConfig> = {},
  options: SecurityFixtureOptions = {},
): Promise<SecurityFixture> {
  const temp = await makeTempDir();
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const kubeSim = await startKubeSim({ clusterName: 'cluster-a' });
  const config: SecurityConfig = {
    caDir: temp.dir,
    workloadCertTtlMs: DEFAULT_SECURITY.workloadCertTtlMs,
    servingDnsNames: ['localhost'],
    servingIps: ['127.0.0.1'],
    rootCertConfigMaps: true,
    ...settings,
  };
  const security = await startSecurity({
    security: config,
    trustDomain: 'cluster.local',
    kubeClusters: [],
    logger,
    tokenReviewer: kubeTokenReviewer({ kubeconfig: kubeSim.kubeconfig, kubeCluster: 'cluster-a' }),
    ...(options.gatewaySnapshot !== undefined
      ? {
          snapshot: options.gatewaySnapshot,
          credentialSecrets: new KubeCredentialSecrets(
            new Map([['cluster-a', { kubeconfig: { yaml: kubeSim.kubeconfig } }]]),
            logger,
          ),
        }
      : {}),
  });
  const xds = createMeshXdsService({
    cache: new XdsCache(),
    metrics: new Metrics({ defaultMetrics: false }),
    logger,
    controlPlane: { identifier: 'meshpilot-test' },
    extraSources: new Map([[SECRET_TYPE, security.sds]]),
  });
  const tlsPort = await security.listen(xds, '127.0.0.1:0');
  const plaintext = new Server();
  xds.addTo(plaintext);
  const plaintextPort = await listenGrpc(plaintext, '127.0.0.1:0');
  const rootPem = Buffer.from(security.ca.rootCertPem());
  return {
    security,
    xds,
    kubeSim,
    caDir: temp.dir,
    tlsAddress: `127.0.0.1:${tlsPort}`,
    plaintextAddress: `127.0.0.1:${plaintextPort}`,
    logLines,
    async channelCredentials(identity) {
      if (identity === undefined) return credentials.createSsl(rootPem);
      const issued = await security.ca.issueWorkloadCertificate(identity);
      return credentials.createSsl(rootPem, Buffer.from(issued.privateKeyPem), Buffer.from(issued.certChainPem));
    },
    async stop() {
      xds.closeAll();
      plaintext.forceShutdown();
      security.stop();
      await kubeSim.stop();
      await temp.cleanup();
    },
  };
}

/** Parsed JSON log lines. */
export function logRecords(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}
