import { createHash } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { BackoffOptions } from './backoff.ts';
import type { KubeClusterSource } from '../registry/kube-cluster-source.ts';
import { KubeRegistryErrorCode } from './kube-error.ts';
import { loadKubeConfig, type KubeconfigSource } from './kubeconfig.ts';
import type { KubeconfigPolicy } from './kubeconfig-policy.ts';
import { namespacedKey, pageOf, type InformedResource } from './resource.ts';
import { PresyncedSource } from '../registry/presynced-source.ts';
import { ResilientInformer } from './informer.ts';

/** Istio's label on multi-cluster secrets: each data key a kube cluster name, its value a kubeconfig. */
export const MULTI_CLUSTER_SECRET_LABEL = 'istio/multiCluster';

/** What the controller needs from the pipeline (MeshPipeline has it). */
export interface KubeClusterRegistrar {
  /** Adds a source, or replaces the one of the same name, and awaits its start. */
  addKubeCluster(source: KubeClusterSource): Promise<void>;
  /** Stops a source and rebuilds once without it. */
  removeKubeCluster(name: string): Promise<void>;
}

export interface RemoteSecretsOptions {
  /** The kube cluster holding the secrets (config remoteSecrets.cluster). */
  readonly configCluster: string;
  readonly kubeconfig: KubeconfigSource;
  /** What the secrets cluster's own kubeconfig may use (the operator's clusters[].kubeconfigAllow). */
  readonly policy?: KubeconfigPolicy;
  readonly namespace: string;
  readonly registrar: KubeClusterRegistrar;
  /** Kube clusters from the config file: a secret can never replace or remove them. */
  readonly reservedNames: ReadonlySet<string>;
  /** Makes the source for a kube cluster named in a secret. */
  readonly createSource: (name: string, kubeconfigYaml: string) => KubeClusterSource;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
}

/** A secret reduced to its kube clusters: name → kubeconfig text. Only the data, never logged. */
type SecretClusters = ReadonlyMap<string, string>;

interface ActiveCluster {
  readonly secret: string;
  readonly digest: string;
  readonly source: KubeClusterSource;
}

function decodeSecretData(object: unknown): SecretClusters {
  const data = typeof object === 'object' && object !== null ? (object as { data?: unknown }).data : undefined;
  const clusters = new Map<string, string>();
  if (typeof data !== 'object' || data === null) return clusters;
  for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
    if (typeof value === 'string' && name !== '') clusters.set(name, Buffer.from(value, 'base64').toString('utf8'));
  }
  return clusters;
}

const digestOf = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Watches Istio remote secrets (labelled istio/multiCluster=true in one namespace of the config kube
 * cluster) and keeps one kube cluster per data key in the pipeline: added when a key appears,
 * replaced when its kubeconfig changes, removed when the key or the secret goes away. Clusters from
 * the config file are never touched. Operations on one kube cluster run in order; different kube
 * clusters do not wait for each other.
 */
export class RemoteSecretsController {
  private readonly options: RemoteSecretsOptions;
  private readonly secrets = new Map<string, SecretClusters>();
  /** The wanted source per remote kube cluster (maybe still syncing). */
  private readonly active = new Map<string, ActiveCluster>();
  /** The source the pipeline serves per remote kube cluster. */
  private readonly installed = new Map<string, KubeClusterSource>();
  private readonly operations = new Map<string, Promise<void>>();
  private informer: ResilientInformer<SecretClusters> | undefined;
  private stopped = false;
  private watchError: string | undefined;

  constructor(options: RemoteSecretsOptions) {
    this.options = options;
  }

  /** Lists the secrets once and starts adding their kube clusters; resolves without waiting for them to sync. */
  async start(): Promise<void> {
    const { configCluster, namespace } = this.options;
    let kubeConfig: KubeConfig;
    let credentials: readonly string[];
    try {
      ({ kubeConfig, credentials } = loadKubeConfig(this.options.kubeconfig, this.options.policy));
    } catch (error: unknown) {
      this.watchError = `${configCluster}: invalid kubeconfig: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
      this.options.logger.error(
        { kubeCluster: configCluster, code: KubeRegistryErrorCode.badKubeconfig, reason: this.watchError },
        'remote secrets not watched',
      );
      return;
    }
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const labelSelector = `${MULTI_CLUSTER_SECRET_LABEL}=true`;
    const resource: InformedResource<SecretClusters> = {
      resource: 'secrets',
      path: `/api/v1/namespaces/${namespace}/secrets`,
      labelSelector,
      listPage: async (limit, token) =>
        pageOf(
          await core.listNamespacedSecret({ namespace, labelSelector, limit, ...(token ? { _continue: token } : {}) }),
        ),
      key: namespacedKey,
      reduce: decodeSecretData,
    };
    this.informer = new ResilientInformer({
      kubeConfig,
      resource,
      secrets: credentials,
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      handlers: {
        onListing: (listing) => {
          this.secrets.clear();
          for (const [key, clusters] of listing) this.secrets.set(key, clusters);
          this.reconcile();
        },
        onUpsert: (key, clusters) => {
          this.secrets.set(key, clusters);
          this.reconcile();
        },
        onDelete: (key) => {
          this.secrets.delete(key);
          this.reconcile();
        },
        onSynced: () => {
          if (this.watchError)
            this.options.logger.info({ kubeCluster: configCluster, namespace }, 'remote secrets watched again');
          this.watchError = undefined;
        },
        onFailure: (reason) => {
          // Keeps the remote kube clusters it has: a broken secret watch is no reason to drop them.
          if (!this.watchError)
            this.options.logger.warn(
              {
                kubeCluster: configCluster,
                namespace,
                code: KubeRegistryErrorCode.unreachable,
                reason: `${configCluster}: ${reason}`,
              },
              'remote secrets watch failed; keeping the remote kube clusters it added',
            );
          this.watchError = `${configCluster}: ${reason}`;
        },
      },
    });
    await this.informer.start();
  }

  /** The remote kube clusters currently added, by name → secret. */
  clusters(): ReadonlyMap<string, string> {
    return new Map([...this.active].map(([name, cluster]) => [name, cluster.secret]));
  }

  /** Why the secret watch is failing, if it is. */
  error(): string | undefined {
    return this.watchError;
  }

  /** Resolves once every queued add, replace and remove has finished. */
  async settled(): Promise<void> {
    for (let round = 0; round < 100 && this.operations.size > 0; round += 1)
      await Promise.all([...this.operations.values()]);
  }

  private desired(): Map<string, { secret: string; kubeconfig: string }> {
    const wanted = new Map<string, { secret: string; kubeconfig: string }>();
    for (const secret of [...this.secrets.keys()].sort()) {
      for (const [name, kubeconfig] of this.secrets.get(secret) ?? []) {
        const taken = wanted.get(name);
        if (this.options.reservedNames.has(name)) {
          this.options.logger.warn(
            { kubeCluster: name, secret, code: KubeRegistryErrorCode.badRemoteSecret },
            'remote secret names a kube cluster of the config file; ignored',
          );
        } else if (taken) {
          this.options.logger.warn(
            { kubeCluster: name, secret, usedFrom: taken.secret, code: KubeRegistryErrorCode.badRemoteSecret },
            'kube cluster named in two remote secrets; the first (by name) is used',
          );
        } else {
          wanted.set(name, { secret, kubeconfig });
        }
      }
    }
    return wanted;
  }

  private reconcile(): void {
    if (this.stopped) return;
    const wanted = this.desired();
    for (const [name, { secret, kubeconfig }] of wanted) {
      const digest = digestOf(kubeconfig);
      const current = this.active.get(name);
      if (current?.digest === digest) continue;
      const source = this.options.createSource(name, kubeconfig);
      this.active.set(name, { secret, digest, source });
      this.enqueue(name, () => this.install(source, secret));
    }
    for (const [name, current] of [...this.active]) {
      if (wanted.has(name)) continue;
      this.active.delete(name);
      this.enqueue(name, async () => {
        if (!this.installed.delete(name)) return;
        await this.options.registrar.removeKubeCluster(name);
        this.options.logger.info({ kubeCluster: name, secret: current.secret }, 'remote kube cluster removed');
      });
    }
  }

  /** Syncs the new source first, then swaps it in (one rebuild) and stops the one it replaces. */
  private async install(source: KubeClusterSource, secret: string): Promise<void> {
    const presynced = new PresyncedSource(source);
    await presynced.presync();
    if (this.stopped || this.active.get(source.name)?.source !== source) {
      await source.stop();
      return;
    }
    const replaced = this.installed.get(source.name);
    const newHealth = source.health();
    if (replaced && newHealth.syncedAt === undefined) {
      // Continuity: a replacement kubeconfig that cannot sync must not take the cluster's endpoints away.
      this.options.logger.warn(
        { kubeCluster: source.name, secret, code: 'MESHPILOT_ERR_REMOTE_SECRET_UNUSABLE', reason: newHealth.lastError },
        'new kubeconfig for remote kube cluster does not sync; keeping the previous one',
      );
      await source.stop();
      return;
    }
    await this.options.registrar.addKubeCluster(presynced);
    this.installed.set(source.name, source);
    await replaced?.stop();
    const health = source.health();
    this.options.logger.info(
      {
        kubeCluster: source.name,
        secret,
        state: health.state,
        ...(health.lastError ? { reason: health.lastError } : {}),
      },
      replaced ? 'remote kube cluster replaced (kubeconfig changed)' : 'remote kube cluster added',
    );
  }

  private enqueue(name: string, operation: () => Promise<void>): void {
    const previous = this.operations.get(name) ?? Promise.resolve();
    const next = previous
      .then(operation)
      .catch((error: unknown) => {
        this.options.logger.error(
          { kubeCluster: name, reason: error instanceof Error ? error.message : String(error) },
          'remote kube cluster change failed',
        );
      })
      .finally(() => {
        if (this.operations.get(name) === next) this.operations.delete(name);
      });
    this.operations.set(name, next);
  }

  /** Stops watching secrets and any source still syncing; the pipeline stops the installed ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer?.stop();
    const installed = new Set(this.installed.values());
    await Promise.all(
      [...this.active.values()]
        .filter((cluster) => !installed.has(cluster.source))
        .map((cluster) => cluster.source.stop()),
    );
    await this.settled();
  }
}
