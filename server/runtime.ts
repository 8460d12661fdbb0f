import { Server } from '@grpc/grpc-js';
import type { Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { keepaliveServerOptions } from './xds/keepalive.ts';
import { XDS_GRPC_SERVER_OPTIONS } from './xds/grpc-server-options.ts';
import pino, { type Logger } from 'pino';
import type { MeshpilotConfig } from './config/schema.ts';
import { XdsCache } from './cache/xds-cache.ts';
import { Metrics, MESHPILOT_VERSION } from './metrics/metrics.ts';
import { MeshPipeline } from './pipeline/mesh-pipeline.ts';
import { KubeClusterMembership } from './kube/membership.ts';
import { RootCertPublisher } from './kube/root-cert-publisher.ts';
import { listenGrpc } from './xds/xds-server.ts';
import { createMeshXdsService, type MeshXdsService } from './cache/mesh-xds-service.ts';
import { createAdminServer, listenHttp } from './admin/admin-server.ts';
import { meshDebugResponder } from './admin/xds-debug.ts';
import { SECRET_TYPE } from '../protos/type-urls.ts';
import { startSecurity, type SecurityPlane } from './security/start-security.ts';
import { startWebhookServer } from './webhooks/webhook-server.ts';
import { webhookHandlers } from './webhooks/handlers.ts';
import { ManifestFolders } from './config/manifest-folder.ts';
import { startConfigSources, type IstioConfigPlane } from './istio-config/start-config-sources.ts';
import { countUnknownTopology } from './generators/proxy-topology.ts';

export interface RuntimeOptions {
  readonly logger?: Logger;
  /** Overrides config.listen.xds / listen.admin (tests use port 0). */
  readonly xdsAddress?: string | false;
  /** Overrides config.listen.xdsTls (served only when the config has a `security:` section); false = off. */
  readonly xdsTlsAddress?: string | false;
  readonly adminAddress?: string;
  /** Overrides config.webhooks.listen (served only with `webhooks:` and `security:`). */
  readonly webhookAddress?: string;
  /** Prometheus default process metrics (off in tests that start many runtimes). */
  readonly defaultMetrics?: boolean;
  readonly fileResyncMs?: number;
}

export interface Runtime {
  readonly xdsPort: number | undefined;
  readonly xdsTlsPort: number | undefined;
  readonly security: SecurityPlane | undefined;
  readonly adminPort: number;
  /** The HTTPS port of /inject and /validate, when `webhooks:` is configured. */
  readonly webhookPort: number | undefined;
  readonly logger: Logger;
  readonly xds: MeshXdsService;
  readonly pipeline: MeshPipeline;
  readonly cache: XdsCache;
  readonly metrics: Metrics;
  readonly istioConfig: IstioConfigPlane;
  stop(): Promise<void>;
}

/** Wires config → registry → pipeline → cache → ADS server → admin, and starts them. */
export async function startRuntime(config: MeshpilotConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const metrics = new Metrics({ defaultMetrics: options.defaultMetrics ?? true });
  const cache = new XdsCache();
  const security =
    config.security === undefined
      ? undefined
      : await startSecurity({
          security: config.security,
          trustDomain: config.trustDomain,
          kubeClusters: config.clusters,
          logger,
          snapshot: () => cache.currentSnapshot(),
        });
  const instance = `meshpilot@${hostname()}`;
  const xds: MeshXdsService = createMeshXdsService({
    cache,
    metrics,
    logger,
    controlPlane: { identifier: instance },
    // istioctl's proxy-status and config dumps over ADS (istio.io/debug/*), as istiod's StatusGen.
    debug: meshDebugResponder({
      connected: () => xds.connected(),
      debugEndpointAuth: config.xdsServer.debugEndpointAuth,
      instance,
      version: MESHPILOT_VERSION,
    }),
    limits: config.xdsServer,
    ...(security !== undefined ? { extraSources: new Map([[SECRET_TYPE, security.sds]]) } : {}),
  });
  metrics.countProxiesWithUnknownCluster(() =>
    countUnknownTopology(
      cache.currentSnapshot(),
      xds.connected().flatMap((c) => (c.proxy ? [c.proxy.view] : [])),
    ),
  );
  const kubeClusterNetworks = Object.fromEntries(config.clusters.map((c) => [c.name, c.network]));
  const pipeline = new MeshPipeline({
    settings: {
      domainSuffix: config.domainSuffix,
      trustDomain: config.trustDomain,
      meshNetworks: config.meshNetworks,
      kubeClusterNetworks,
      meshConfig: config.mesh,
      optIn: config.optIn,
    },
    cache,
    metrics,
    logger,
    debounce: config.debounce,
    subscriber: xds,
    gatewayDns: config.gatewayDns,
  });

  // A manifest folder that is both a kube cluster and Istio config (its WorkloadEntries) is read once for both.
  const manifestFolders = new ManifestFolders(
    options.fileResyncMs !== undefined ? { resyncMs: options.fileResyncMs } : {},
  );
  const sourceOptions = {
    logger,
    registry: config.registry,
    manifestFolders,
    ...(options.fileResyncMs !== undefined ? { fileResyncMs: options.fileResyncMs } : {}),
  };
  const rootCerts =
    security !== undefined && config.security?.rootCertConfigMaps === true
      ? new RootCertPublisher({ rootCertPem: security.ca.rootCertPem(), logger })
      : undefined;
  const membership = new KubeClusterMembership({
    config,
    pipeline,
    metrics,
    logger,
    sourceOptions,
    ...(rootCerts !== undefined ? { rootCerts } : {}),
    // Opt-in (karmada.drainNotReady): Clusters Karmada marks not ready or taints NoExecute go behind healthy ones.
    ...(config.karmada?.drainNotReady === true
      ? { onDrainChange: (draining: ReadonlyMap<string, string>) => pipeline.setDrainingKubeClusters(draining) }
      : {}),
  });
  let istioConfig: IstioConfigPlane | undefined;

  // The ports first (issue 13): streams opened before the first snapshot end with UNAVAILABLE and
  // retry, /readyz says why; no member kube cluster can hold the port back.
  xds.hold('first snapshot not built yet (kube clusters and Istio config syncing)');
  const grpcServer = new Server({
    ...XDS_GRPC_SERVER_OPTIONS,
    ...keepaliveServerOptions(config.xdsServer),
    ...(config.xdsServer.maxConnectionAgeMs > 0
      ? {
          'grpc.max_connection_age_ms': config.xdsServer.maxConnectionAgeMs,
          'grpc.max_connection_age_grace_ms': config.xdsServer.maxConnectionAgeGraceMs,
        }
      : {}),
  });
  xds.addTo(grpcServer);
  const xdsAddress = options.xdsAddress ?? config.listen.xds;
  const xdsPort = xdsAddress === false ? undefined : await listenGrpc(grpcServer, xdsAddress);
  const xdsTlsAddress = options.xdsTlsAddress ?? config.listen.xdsTls;
  const xdsTlsPort =
    security === undefined || xdsTlsAddress === false
      ? undefined
      : await security.listen(xds, xdsTlsAddress, keepaliveServerOptions(config.xdsServer));

  const webhooks =
    security === undefined || config.security === undefined || config.webhooks === undefined
      ? undefined
      : await startWebhookServer(
          {
            ca: security.ca,
            servingDnsNames: config.security.servingDnsNames,
            servingIps: config.security.servingIps,
            certTtlMs: config.security.workloadCertTtlMs,
            handlers: webhookHandlers(config, { kubeNodes: (kubeCluster) => pipeline.kubeNodes(kubeCluster) }),
            logger,
          },
          options.webhookAddress ?? config.webhooks.listen,
        );

  const admin: HttpServer = createAdminServer({
    metrics,
    xds,
    logger,
    snapshot: () => cache.currentSnapshot(),
    kubeClusters: () => membership.health(),
    istioConfig: () => istioConfig?.configz() ?? { sources: [], accepted: [], rejected: [], unsupported: [] },
    notReadyReason: () => xds.heldBecause() ?? membership.notReadyReason(),
    droppedInputs: () => pipeline.droppedInputs.list(),
    gatewayNames: () => pipeline.gatewayNames.states(),
  });
  const adminPort = await listenHttp(admin, options.adminAddress ?? config.listen.admin);

  // Istio config and kube clusters sync side by side; each kube cluster is waited for at most the
  // readiness timeout, so the first snapshot carries the Istio config and every cluster that synced.
  try {
    [istioConfig] = await Promise.all([
      startConfigSources({
        config,
        logger,
        metrics,
        onChange: (set) => pipeline.setIstioConfig(set),
        manifestFolders,
        ...(options.fileResyncMs !== undefined ? { fileResyncMs: options.fileResyncMs } : {}),
      }),
      membership.startConfigured(),
    ]);
    await pipeline.rebuildResolvingGateways();
    xds.release();
    await membership.startRemoteSecrets();
    await membership.startKarmada();
  } catch (error: unknown) {
    grpcServer.forceShutdown();
    security?.stop();
    await webhooks?.stop();
    admin.closeAllConnections();
    await new Promise<void>((resolve) => admin.close(() => resolve()));
    await membership.stop();
    await pipeline.stop();
    throw error;
  }

  logger.info(
    {
      xds: bound(xdsAddress, xdsPort),
      xdsTls: bound(xdsTlsAddress, xdsTlsPort),
      admin: bound(options.adminAddress ?? config.listen.admin, adminPort),
      webhooks:
        webhooks === undefined ? 'off' : bound(options.webhookAddress ?? config.webhooks?.listen ?? '', webhooks.port),
      kubeClusters: config.clusters.length,
    },
    'meshpilot serving',
  );

  return {
    xdsPort,
    xdsTlsPort,
    security,
    adminPort,
    webhookPort: webhooks?.port,
    logger,
    xds,
    pipeline,
    cache,
    metrics,
    istioConfig,
    async stop() {
      xds.closeAll();
      grpcServer.forceShutdown();
      security?.stop();
      await webhooks?.stop();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      admin.closeAllConnections();
      await membership.stop();
      await istioConfig.stop();
      await pipeline.stop();
    },
  };
}

/** `host:port` as bound (the configured port may be 0), or `off`. */
function bound(address: string | false, port: number | undefined): string {
  return address === false || port === undefined ? 'off' : `${address.replace(/:\d+$/, '')}:${port}`;
}
