import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { BackoffOptions } from './backoff.ts';
import type { KubeClusterSource } from '../registry/kube-cluster-source.ts';
import { KubeRegistryErrorCode } from './kube-error.ts';
import { loadKubeConfig, type KubeconfigSource } from './kubeconfig.ts';
import type { KubeconfigPolicy } from './kubeconfig-policy.ts';
import { namespacedKey, pageOf, type InformedResource } from './resource.ts';
import { DynamicKubeClusters, type KubeClusterRegistrar, type WantedKubeCluster } from './dynamic-members.ts';
import { ResilientInformer } from './informer.ts';

/** Istio's label on multi-cluster secrets: each data key a kube cluster name, its value a kubeconfig. */
export const MULTI_CLUSTER_SECRET_LABEL = 'istio/multiCluster';

export type { KubeClusterRegistrar } from './dynamic-members.ts';

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

function decodeSecretData(object: unknown): SecretClusters {
  const data = typeof object === 'object' && object !== null ? (object as { data?: unknown }).data : undefined;
  const clusters = new Map<string, string>();
  if (typeof data !== 'object' || data === null) return clusters;
  for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
    if (typeof value === 'string' && name !== '') clusters.set(name, Buffer.from(value, 'base64').toString('utf8'));
  }
  return clusters;
}

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
  private readonly members: DynamicKubeClusters;
  private informer: ResilientInformer<SecretClusters> | undefined;
  private watchError: string | undefined;

  constructor(options: RemoteSecretsOptions) {
    this.options = options;
    this.members = new DynamicKubeClusters({
      registrar: options.registrar,
      logger: options.logger,
      label: 'remote',
      ownerField: 'secret',
      unusableCode: 'MESHPILOT_ERR_REMOTE_SECRET_UNUSABLE',
    });
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
    return this.members.clusters();
  }

  /** Why the secret watch is failing, if it is. */
  error(): string | undefined {
    return this.watchError;
  }

  /** Resolves once every queued add, replace and remove has finished. */
  settled(): Promise<void> {
    return this.members.settled();
  }

  private desired(): Map<string, WantedKubeCluster> {
    const wanted = new Map<string, WantedKubeCluster>();
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
            { kubeCluster: name, secret, usedFrom: taken.owner, code: KubeRegistryErrorCode.badRemoteSecret },
            'kube cluster named in two remote secrets; the first (by name) is used',
          );
        } else {
          wanted.set(name, {
            owner: secret,
            identity: kubeconfig,
            createSource: () => this.options.createSource(name, kubeconfig),
          });
        }
      }
    }
    return wanted;
  }

  private reconcile(): void {
    this.members.reconcile(this.desired());
  }

  /** Stops watching secrets and any source still syncing; the pipeline stops the installed ones. */
  async stop(): Promise<void> {
    await this.informer?.stop();
    await this.members.stop();
  }
}
