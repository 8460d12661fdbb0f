import { Counter, Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { MeshpilotConfig } from '../config/schema.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { SourceOptions } from '../registry/create-source.ts';
import type { KubeClusterHealth } from '../registry/kube-cluster-source.ts';
import { KubeWatcher } from '../registry/kube-watcher.ts';
import { RemoteSecretsController, type KubeClusterRegistrar } from './remote-secrets.ts';

export interface MultiClusterRegistryOptions {
  readonly config: Pick<MeshpilotConfig, 'clusters' | 'remoteSecrets' | 'readiness'>;
  /** The mesh pipeline. */
  readonly pipeline: KubeClusterRegistrar & { health(): KubeClusterHealth[] };
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly sourceOptions: SourceOptions;
}

export interface MultiClusterRegistry {
  readonly remoteSecrets: RemoteSecretsController | undefined;
  stop(): Promise<void>;
}

/**
 * The live parts of the registry beside the configured kube clusters: remote-secret kube clusters,
 * per-cluster sync metrics, and the count of kube clusters that missed the readiness timeout.
 */
export async function startMultiClusterRegistry(options: MultiClusterRegistryOptions): Promise<MultiClusterRegistry> {
  const { config, pipeline, metrics, logger, sourceOptions } = options;
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

  let remoteSecrets: RemoteSecretsController | undefined;
  const secretsConfig = config.remoteSecrets;
  const holder = secretsConfig ? config.clusters.find((cluster) => cluster.name === secretsConfig.cluster) : undefined;
  if (secretsConfig && holder?.kubeconfig !== undefined) {
    remoteSecrets = new RemoteSecretsController({
      configCluster: holder.name,
      kubeconfig: { path: holder.kubeconfig },
      namespace: secretsConfig.namespace,
      registrar: pipeline,
      reservedNames: new Set(config.clusters.map((cluster) => cluster.name)),
      createSource: (name, yaml) =>
        new KubeWatcher({
          name,
          kubeconfig: { yaml },
          source: 'remote-secret',
          logger,
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
    async stop() {
      clearTimeout(timeoutTimer);
      await remoteSecrets?.stop();
    },
  };
}
