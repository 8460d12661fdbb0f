/**
 * Starts workload identity for the control plane: the CA, the SDS source, and the TLS xDS port
 * (ADS with authenticated streams + Istio's CSR API on one gRPC server, serving certificate from the
 * CA, rotated at half its lifetime). runtime.ts calls this when the config has a `security:` section.
 */
import { readFile } from 'node:fs/promises';
import { Server, type ChannelOptions } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { KubeClusterConfig, SecurityConfig } from '../config/schema.ts';
import { listenGrpc, type XdsService } from '../xds/xds-server.ts';
import { XDS_GRPC_SERVER_OPTIONS } from '../xds/grpc-server-options.ts';
import { loadOrCreateCa, type CertificateAuthority } from './ca.ts';
import { addCsrService } from './csr-service.ts';
import { SecurityError } from '../../pki/errors.ts';
import { errorMessage } from '../../common/error-message.ts';
import { PeerAuthenticator } from './peer-authentication.ts';
import { CertificateCache } from './rotation.ts';
import { rotationDeadline } from '../../pki/rotation-deadline.ts';
import { SdsSource } from './sds-source.ts';
import { ClientCertificateRequestingCredentials } from './serving-credentials.ts';
import { kubeTokenReviewer, type TokenReviewer } from './token-review.ts';
import { operatorKubeconfigPolicy } from '../kube/kubeconfig.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { KubeCredentialSecrets, type SecretsKubeCluster } from './gateway-credential-secrets.ts';
import { GatewayCredentialSds, type CredentialSecretsReader } from './gateway-credential-sds.ts';

export interface StartSecurityOptions {
  readonly security: SecurityConfig;
  readonly trustDomain: string;
  readonly kubeClusters: readonly KubeClusterConfig[];
  readonly logger: Logger;
  readonly clock?: () => number;
  /** Replaces the TokenReview client built from security.tokenReviewCluster (tests). */
  readonly tokenReviewer?: TokenReviewer;
  /**
   * The mesh whose Gateways say which credentials a gateway may have (runtime: the cache's current
   * snapshot). Absent: no Gateway credential is served over SDS.
   */
  readonly snapshot?: () => MeshSnapshot | undefined;
  /** Where Gateway credential Secrets are read (default: the kube clusters with a kubeconfig). */
  readonly credentialSecrets?: CredentialSecretsReader;
}

function credentialSecretsOf(options: StartSecurityOptions): CredentialSecretsReader {
  if (options.credentialSecrets !== undefined) return options.credentialSecrets;
  const clusters = new Map<string, SecretsKubeCluster>();
  for (const cluster of options.kubeClusters)
    if (cluster.kubeconfig !== undefined)
      clusters.set(cluster.name, {
        kubeconfig: { path: cluster.kubeconfig },
        policy: operatorKubeconfigPolicy(cluster),
      });
  return new KubeCredentialSecrets(clusters, options.logger);
}

export interface SecurityPlane {
  readonly ca: CertificateAuthority;
  readonly sds: SdsSource;
  readonly authenticator: PeerAuthenticator;
  /** Serves ADS (authenticated) and CreateCertificate over TLS on `address`; returns the bound port. */
  listen(xds: XdsService, address: string, serverOptions?: ChannelOptions): Promise<number>;
  stop(): void;
}

async function tokenReviewerFor(options: StartSecurityOptions): Promise<TokenReviewer | undefined> {
  if (options.tokenReviewer !== undefined) return options.tokenReviewer;
  const name = options.security.tokenReviewCluster;
  if (name === undefined) return undefined;
  const kubeCluster = options.kubeClusters.find((cluster) => cluster.name === name);
  if (kubeCluster?.kubeconfig === undefined) {
    throw new SecurityError(
      'MESHPILOT_ERR_SECURITY_CONFIG',
      `security.tokenReviewCluster "${name}" is not a kube cluster with a kubeconfig`,
    );
  }
  let kubeconfig: string;
  try {
    kubeconfig = await readFile(kubeCluster.kubeconfig, 'utf8');
  } catch (error: unknown) {
    throw new SecurityError(
      'MESHPILOT_ERR_SECURITY_CONFIG',
      `cannot read the kubeconfig of token review cluster "${name}" (${kubeCluster.kubeconfig}): ${errorMessage(error)}`,
    );
  }
  return kubeTokenReviewer({ kubeconfig, kubeCluster: name, policy: operatorKubeconfigPolicy(kubeCluster) });
}

export async function startSecurity(options: StartSecurityOptions): Promise<SecurityPlane> {
  const clock = options.clock ?? Date.now;
  const { security, logger } = options;
  const ca = await loadOrCreateCa({ dir: security.caDir, trustDomain: options.trustDomain, clock });
  logger.info(
    {
      caDir: security.caDir,
      source: ca.source,
      trustDomain: ca.trustDomain,
      signer: ca.describe().signingCertificate.subject,
    },
    'workload CA ready',
  );
  const certificates = new CertificateCache({
    clock,
    measureFromIssuance: true,
    issue: (identity) =>
      ca.issueWorkloadCertificate({
        namespace: identity.namespace,
        serviceAccount: identity.serviceAccount,
        ttlMs: security.workloadCertTtlMs,
      }),
  });
  const credentialSecrets = options.snapshot !== undefined ? credentialSecretsOf(options) : undefined;
  const gatewayCredentials =
    credentialSecrets !== undefined && options.snapshot !== undefined
      ? new GatewayCredentialSds({ secrets: credentialSecrets, snapshot: options.snapshot, logger })
      : undefined;
  const sds = new SdsSource({
    certificates,
    rootCertPem: ca.rootCertPem(),
    clock,
    logger,
    ...(gatewayCredentials !== undefined ? { gatewayCredentials } : {}),
  });
  const tokenReviewer = await tokenReviewerFor(options);
  const authenticator = new PeerAuthenticator({ ca, ...(tokenReviewer !== undefined ? { tokenReviewer } : {}) });
  const servers: Server[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const issueServing = () =>
    ca.issueServingCertificate({
      dnsNames: security.servingDnsNames,
      ipAddresses: security.servingIps,
      ttlMs: security.workloadCertTtlMs,
    });

  const scheduleServingRotation = (
    credentials: ClientCertificateRequestingCredentials,
    notAfter: Date,
    issuedAt: number,
  ): void => {
    if (stopped) return;
    const delay = Math.max(rotationDeadline(issuedAt, Math.max(notAfter.getTime(), issuedAt + 1), 0.5) - clock(), 100);
    const timer = setTimeout(() => {
      timers.delete(timer);
      const started = clock();
      issueServing().then(
        (serving) => {
          credentials.replaceServingCertificate(serving);
          logger.info({ notAfter: serving.notAfter.toISOString() }, 'TLS xDS serving certificate rotated');
          scheduleServingRotation(credentials, serving.notAfter, started);
        },
        (error: unknown) => {
          logger.error(
            { code: 'MESHPILOT_ERR_SERVING_CERT', error: errorMessage(error) },
            'TLS xDS serving certificate rotation failed; retrying',
          );
          scheduleServingRotation(credentials, notAfter, started);
        },
      );
    }, delay);
    timer.unref();
    timers.add(timer);
  };

  return {
    ca,
    sds,
    authenticator,
    async listen(xds: XdsService, address: string, serverOptions: ChannelOptions = {}): Promise<number> {
      const issuedAt = clock();
      const serving = await issueServing();
      const credentials = new ClientCertificateRequestingCredentials(ca.rootCertPem(), serving);
      const server = new Server({ ...XDS_GRPC_SERVER_OPTIONS, ...serverOptions });
      xds.addTo(server, { authenticate: (call) => authenticator.authenticate(call) });
      addCsrService(server, { ca, authenticator, logger, defaultTtlMs: security.workloadCertTtlMs });
      const port = await listenGrpc(server, address, credentials);
      servers.push(server);
      scheduleServingRotation(credentials, serving.notAfter, issuedAt);
      return port;
    },
    stop(): void {
      stopped = true;
      sds.stop();
      // Informers of Gateway credential Secrets: stopping is fire-and-forget, as the servers' shutdown.
      if (credentialSecrets instanceof KubeCredentialSecrets) void credentialSecrets.stop();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const server of servers) server.forceShutdown();
    },
  };
}
