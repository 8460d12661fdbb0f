import { Counter, Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { MeshpilotConfig } from '../config/schema.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { createKubeClusterSource, type SourceOptions } from '../registry/create-source.ts';
import type { KubeClusterHealth } from '../registry/kube-cluster-source.ts';
import { KubeWatcher } from '../registry/kube-watcher.ts';
import { operatorKubeconfigPolicy } from './kubeconfig.ts';
import { STRICT_KUBECONFIG_POLICY } from './kubeconfig-policy.ts';
import { RemoteSecretsController, type KubeClusterRegistrar } from './remote-secrets.ts';

export interface KubeClusterMembershipOptions {
  readonly config: Pick<MeshpilotConfig, 'clusters' | 'remoteSecrets' | 'readiness' | 'meshNetworks'>;
  /** The mesh pipeline: it holds each member's store and builds snapshots from them. */
  readonly pipeline: KubeClusterRegistrar & { health(): KubeClusterHealth[]; rebuild(changes: readonly []): unknown };
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly sourceOptions: SourceOptions;
}

/** Which kube clusters are members, how each is doing, and whether meshpilot is ready because of them. */
export interface KubeClusterMembership {
  readonly remoteSecrets: RemoteSecretsController | undefined;
  /** Every member kube cluster's health, with its network. */
  health(): KubeClusterHealth[];
  /** Why /readyz answers 503: kube clusters not synced once, until the readiness timeout has passed. */
  notReadyReason(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Kube cluster membership in one place: the configured kube clusters and those of remote secrets
 * join the pipeline here; per-cluster sync metrics; readiness and the count of kube clusters that
 * missed the readiness timeout.
 */
export async function startKubeClusterMembership(
  options: KubeClusterMembershipOptions,
): Promise<KubeClusterMembership> {
  const { config, pipeline, metrics, logger } = options;
  const sourceOptions: SourceOptions = {
    ...options.sourceOptions,
    onKubeconfigRefused: (kubeCluster) => metrics.kubeconfigRefused.inc({ cluster: kubeCluster }),
  };
  const startedAt = Date.now();
  new Gauge({
    name: 'meshpilot_kube_cluster_synced',
    help: 'Kube cluster watch state: 1 synced, 0 syncing or unreachable',
    labelNames: ['cluster'],
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const health of pipeline.health()) this.set({ cluster: health.name }, health.state === 'synced' ? 1 : 0);
    },
  });
  const syncTimeouts = new Counter({
    name: 'remote_cluster_sync_timeouts_total',
    help: 'Times the readiness timeout passed before every kube cluster had synced once',
    registers: [metrics.registry],
  });
  const timeoutMs = config.readiness.remoteClusterTimeoutMs;
  const timeoutTimer = setTimeout(() => {
    const missing = pipeline.health().filter((health) => health.syncedAt === undefined);
    if (missing.length === 0) return;
    syncTimeouts.inc();
    logger.warn(
      {
        kubeClusters: missing.map((h) => h.name),
        errors: missing.flatMap((h) => (h.lastError ? [h.lastError] : [])),
        timeoutMs,
      },
      'kube clusters not synced within the readiness timeout; ready without them',
    );
  }, timeoutMs);

  await Promise.all(
    config.clusters.map((cluster) => pipeline.addKubeCluster(createKubeClusterSource(cluster, sourceOptions))),
  );
  pipeline.rebuild([]);

  let remoteSecrets: RemoteSecretsController | undefined;
  const secretsConfig = config.remoteSecrets;
  const holder = secretsConfig ? config.clusters.find((cluster) => cluster.name === secretsConfig.cluster) : undefined;
  if (secretsConfig && holder?.kubeconfig !== undefined) {
    remoteSecrets = new RemoteSecretsController({
      configCluster: holder.name,
      kubeconfig: { path: holder.kubeconfig },
      policy: operatorKubeconfigPolicy(holder),
      namespace: secretsConfig.namespace,
      registrar: pipeline,
      reservedNames: new Set(config.clusters.map((cluster) => cluster.name)),
      createSource: (name, yaml) =>
        new KubeWatcher({
          name,
          kubeconfig: { yaml },
          source: 'remote-secret',
          policy: STRICT_KUBECONFIG_POLICY,
          logger,
          ...(sourceOptions.onKubeconfigRefused ? { onKubeconfigRefused: sourceOptions.onKubeconfigRefused } : {}),
          ...(sourceOptions.registry ? { settings: sourceOptions.registry } : {}),
          ...(sourceOptions.backoff ? { backoff: sourceOptions.backoff } : {}),
        }),
      logger,
      ...(sourceOptions.backoff ? { backoff: sourceOptions.backoff } : {}),
    });
    await remoteSecrets.start();
  }

  return {
    remoteSecrets,
    health: () =>
      pipeline.health().map((health) => ({ ...health, network: networkOfKubeCluster(config, health.name) })),
    notReadyReason() {
      const missing = pipeline
        .health()
        .filter((h) => h.syncedAt === undefined)
        .map((h) => h.name);
      if (missing.length === 0 || Date.now() - startedAt > timeoutMs) return undefined;
      return `kube clusters not synced yet: ${missing.join(', ')}`;
    },
    async stop() {
      clearTimeout(timeoutTimer);
      await remoteSecrets?.stop();
    },
  };
}

/** A kube cluster's network: its own `network`, else the meshNetworks network naming it fromRegistry, else ''. */
function networkOfKubeCluster(config: Pick<MeshpilotConfig, 'clusters' | 'meshNetworks'>, name: string): string {
  const configured = config.clusters.find((cluster) => cluster.name === name)?.network;
  if (configured) return configured;
  const entry = Object.entries(config.meshNetworks.networks).find(([, network]) =>
    network.endpoints.some((e) => e.fromRegistry === name),
  );
  return entry?.[0] ?? '';
}
