import { Counter, Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { MeshpilotConfig } from '../config/schema.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { createKubeClusterSource, type SourceOptions } from '../registry/create-source.ts';
import type { KubeClusterHealth } from '../registry/kube-cluster-source.ts';
import { KubeWatcher } from '../registry/kube-watcher.ts';
import { operatorKubeconfigPolicy } from './kubeconfig.ts';
import { STRICT_KUBECONFIG_POLICY, type KubeconfigPolicy } from './kubeconfig-policy.ts';
import { KarmadaClustersController } from './karmada-clusters.ts';
import { RemoteSecretsController, type KubeClusterRegistrar } from './remote-secrets.ts';
import type { RootCertPublisher } from './root-cert-publisher.ts';

export interface KubeClusterMembershipOptions {
  readonly config: Pick<MeshpilotConfig, 'clusters' | 'remoteSecrets' | 'karmada' | 'readiness' | 'meshNetworks'>;
  /** The mesh pipeline: it holds each member's store and builds snapshots from them. */
  readonly pipeline: KubeClusterRegistrar & { health(): KubeClusterHealth[] };
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly sourceOptions: SourceOptions;
  /** Called with the Karmada Clusters Karmada marks not ready or taints NoExecute (and why), whenever that changes. */
  readonly onDrainChange?: (draining: ReadonlyMap<string, string>) => void;
  /** Keeps istio-ca-root-cert in every member kube cluster (security.rootCertConfigMaps). */
  readonly rootCerts?: RootCertPublisher;
}

/** Resolves after `ms`, or at once when `ms` is 0; the timer never holds the process. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Kube cluster membership in one place: the configured kube clusters and those of remote secrets
 * join the pipeline here; per-cluster sync metrics; readiness and the count of kube clusters that
 * missed the readiness timeout. Each kube cluster syncs in the background: start() waits for each
 * at most the readiness timeout, so one API server that never answers holds back only itself.
 */
export class KubeClusterMembership {
  remoteSecrets: RemoteSecretsController | undefined;
  karmada: KarmadaClustersController | undefined;
  private readonly options: KubeClusterMembershipOptions;
  private readonly sourceOptions: SourceOptions;
  private readonly startedAt = Date.now();
  private readonly timeoutMs: number;
  private readonly timeoutTimer: NodeJS.Timeout;

  constructor(options: KubeClusterMembershipOptions) {
    this.options = options;
    const { config, pipeline, metrics, logger } = options;
    this.sourceOptions = {
      ...options.sourceOptions,
      onKubeconfigRefused: (kubeCluster) => metrics.kubeconfigRefused.inc({ cluster: kubeCluster }),
    };
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
    this.timeoutMs = config.readiness.remoteClusterTimeoutMs;
    this.timeoutTimer = setTimeout(() => {
      const missing = pipeline.health().filter((health) => health.syncedAt === undefined);
      if (missing.length === 0) return;
      syncTimeouts.inc();
      logger.warn(
        {
          kubeClusters: missing.map((h) => h.name),
          errors: missing.flatMap((h) => (h.lastError ? [h.lastError] : [])),
          timeoutMs: this.timeoutMs,
        },
        'kube clusters not synced within the readiness timeout; ready without them',
      );
    }, this.timeoutMs);
  }

  /**
   * Adds every configured kube cluster to the pipeline and waits until each has synced once or the
   * readiness timeout has passed, whichever is first; a late one joins with its first sync.
   */
  async startConfigured(): Promise<void> {
    const { config, pipeline } = this.options;
    const deadline = delay(this.remainingMs());
    await Promise.all(
      config.clusters.map((cluster) => {
        const source = createKubeClusterSource(cluster, this.sourceOptions);
        this.options.rootCerts?.joined(source);
        return Promise.race([pipeline.addKubeCluster(source), deadline]);
      }),
    );
  }

  /** Starts watching remote secrets (if configured); waits for their first list at most the rest of the readiness timeout. */
  async startRemoteSecrets(): Promise<void> {
    const { config, pipeline, logger } = this.options;
    const sourceOptions = this.sourceOptions;
    const secretsConfig = config.remoteSecrets;
    const holder = secretsConfig
      ? config.clusters.find((cluster) => cluster.name === secretsConfig.cluster)
      : undefined;
    if (!secretsConfig || holder?.kubeconfig === undefined) return;
    this.remoteSecrets = new RemoteSecretsController({
      configCluster: holder.name,
      kubeconfig: { path: holder.kubeconfig },
      policy: operatorKubeconfigPolicy(holder),
      namespace: secretsConfig.namespace,
      registrar: this.options.rootCerts?.wrap(pipeline) ?? pipeline,
      reservedNames: new Set(config.clusters.map((cluster) => cluster.name)),
      createSource: (name, yaml) => this.dynamicSource(name, yaml, 'remote-secret', STRICT_KUBECONFIG_POLICY),
      logger,
      ...(sourceOptions.backoff ? { backoff: sourceOptions.backoff } : {}),
    });
    await Promise.race([this.remoteSecrets.start(), delay(this.remainingMs())]);
  }

  /** Starts watching Karmada Clusters (if configured); waits for their first list at most the rest of the readiness timeout. */
  async startKarmada(): Promise<void> {
    const { config, pipeline, logger } = this.options;
    const karmada = config.karmada;
    if (karmada === undefined) return;
    const reserved = new Set(config.clusters.map((cluster) => cluster.name));
    this.karmada = new KarmadaClustersController({
      kubeconfig: { path: karmada.kubeconfig },
      policy: {
        origin: 'meshpilot.yaml karmada.kubeconfig',
        allow: new Set(karmada.kubeconfigAllow ?? []),
      },
      networkLabel: karmada.networkLabel,
      registrar: this.options.rootCerts?.wrap(pipeline) ?? pipeline,
      isTaken: (name) => reserved.has(name) || this.remoteSecrets?.clusters().has(name) === true,
      createSource: (name, yaml, network) =>
        this.dynamicSource(name, yaml, 'karmada', { origin: `Karmada Cluster ${name}`, allow: new Set() }, network),
      ...(this.options.onDrainChange ? { onDrainChange: this.options.onDrainChange } : {}),
      logger,
      ...(this.sourceOptions.backoff ? { backoff: this.sourceOptions.backoff } : {}),
    });
    await Promise.race([this.karmada.start(), delay(this.remainingMs())]);
  }

  /** A member kube cluster from a kubeconfig meshpilot did not get from its operator (remote secret, Karmada). */
  private dynamicSource(
    name: string,
    yaml: string,
    source: 'remote-secret' | 'karmada',
    policy: KubeconfigPolicy,
    network?: string,
  ): KubeWatcher {
    const sourceOptions = this.sourceOptions;
    return new KubeWatcher({
      name,
      kubeconfig: { yaml },
      source,
      policy,
      logger: this.options.logger,
      ...(network ? { network } : {}),
      ...(sourceOptions.onKubeconfigRefused ? { onKubeconfigRefused: sourceOptions.onKubeconfigRefused } : {}),
      ...(sourceOptions.registry ? { settings: sourceOptions.registry } : {}),
      ...(sourceOptions.backoff ? { backoff: sourceOptions.backoff } : {}),
    });
  }

  /** Every member kube cluster's health, with its network. */
  health(): KubeClusterHealth[] {
    const { config, pipeline } = this.options;
    return pipeline
      .health()
      .map((health) => ({ ...health, network: networkOfKubeCluster(config, health.name) || (health.network ?? '') }));
  }

  /** Why /readyz answers 503: kube clusters not synced once, until the readiness timeout has passed. */
  notReadyReason(): string | undefined {
    const missing = this.options.pipeline
      .health()
      .filter((h) => h.syncedAt === undefined)
      .map((h) => h.name);
    if (missing.length === 0 || this.remainingMs() === 0) return undefined;
    return `kube clusters not synced yet: ${missing.join(', ')}`;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timeoutTimer);
    await this.remoteSecrets?.stop();
    await this.karmada?.stop();
    await this.options.rootCerts?.stop();
  }

  private remainingMs(): number {
    return Math.max(0, this.startedAt + this.timeoutMs - Date.now());
  }
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
