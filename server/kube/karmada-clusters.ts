import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClusterSource } from '../registry/kube-cluster-source.ts';
import type { BackoffOptions } from './backoff.ts';
import { DynamicKubeClusters, type KubeClusterRegistrar, type WantedKubeCluster } from './dynamic-members.ts';
import {
  drainReason,
  KARMADA_CLUSTER_API,
  kubeconfigOfKarmadaCluster,
  reduceKarmadaCluster,
  unusableReason,
  type KarmadaClusterRecord,
} from './karmada-cluster.ts';
import { describeKubeError, KubeRegistryErrorCode } from './kube-error.ts';
import { loadKubeConfig, type KubeconfigSource } from './kubeconfig.ts';
import type { KubeconfigPolicy } from './kubeconfig-policy.ts';
import { ResilientInformer } from './informer.ts';
import { clusterScopedKey, pageOf, type InformedResource } from './resource.ts';

export interface KarmadaClustersOptions {
  /** The Karmada control plane's kubeconfig (meshpilot.yaml karmada.kubeconfig). */
  readonly kubeconfig: KubeconfigSource;
  readonly policy?: KubeconfigPolicy;
  readonly networkLabel: string;
  readonly registrar: KubeClusterRegistrar;
  /** Kube clusters from the config file, or joined otherwise (remote secrets): a Cluster never replaces them. */
  readonly isTaken: (name: string) => boolean;
  /** Makes the source of a member kube cluster from its kubeconfig text (strict policy) and network. */
  readonly createSource: (name: string, kubeconfigYaml: string, network: string) => KubeClusterSource;
  /** Called after each change of the Clusters' readiness (drain): kube cluster name → why it drains. */
  readonly onDrainChange?: (draining: ReadonlyMap<string, string>) => void;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
}

/** One line, the first of an error's message. */
const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/**
 * Member kube clusters from a Karmada control plane: watches cluster.karmada.io/v1alpha1 Clusters and
 * keeps one member kube cluster per Push-mode Cluster, reached at spec.apiEndpoint with the token and
 * caBundle of the Secret spec.secretRef names (read when the Cluster changes and on every full list),
 * its network from the configured label; a Cluster that goes, or leaves Push mode, takes its kube
 * cluster with it. Pull-mode Clusters are skipped (their API server is not reachable from Karmada).
 */
export class KarmadaClustersController {
  private readonly options: KarmadaClustersOptions;
  private readonly members: DynamicKubeClusters;
  private readonly records = new Map<string, KarmadaClusterRecord>();
  /** Per Cluster: the record its wanted entry was made from, and the entry (undefined: not usable). */
  private readonly made = new Map<string, { record: string; wanted: WantedKubeCluster | undefined }>();
  private informer: ResilientInformer<KarmadaClusterRecord> | undefined;
  private core: CoreV1Api | undefined;
  private running: Promise<void> = Promise.resolve();
  private watchError: string | undefined;
  private draining: ReadonlyMap<string, string> = new Map();

  constructor(options: KarmadaClustersOptions) {
    this.options = options;
    this.members = new DynamicKubeClusters({
      registrar: options.registrar,
      logger: options.logger,
      label: 'Karmada',
      ownerField: 'karmadaCluster',
      unusableCode: KubeRegistryErrorCode.badKarmadaCluster,
    });
  }

  /** Lists the Clusters once and starts adding their kube clusters; resolves without waiting for them to sync. */
  async start(): Promise<void> {
    const { logger, networkLabel } = this.options;
    let kubeConfig: KubeConfig;
    let credentials: readonly string[];
    try {
      ({ kubeConfig, credentials } = loadKubeConfig(this.options.kubeconfig, this.options.policy));
    } catch (error: unknown) {
      this.watchError = `karmada: invalid kubeconfig: ${firstLine(error)}`;
      logger.error(
        { code: KubeRegistryErrorCode.badKubeconfig, reason: this.watchError },
        'Karmada Clusters not watched',
      );
      return;
    }
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const { group, version, plural } = KARMADA_CLUSTER_API;
    const resource: InformedResource<KarmadaClusterRecord> = {
      resource: `${plural}.${group}`,
      path: `/apis/${group}/${version}/${plural}`,
      listPage: async (limit, token) => {
        const result = (await custom.listClusterCustomObject({
          group,
          version,
          plural,
          limit,
          ...(token ? { _continue: token } : {}),
        })) as { items?: unknown };
        if (!Array.isArray(result.items)) throw new Error(`list of ${plural}.${group} returned no items array`);
        return pageOf(result as { items: unknown[] });
      },
      key: clusterScopedKey,
      reduce: (object) => reduceKarmadaCluster(object, networkLabel),
    };
    this.informer = new ResilientInformer({
      kubeConfig,
      resource,
      secrets: credentials,
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      handlers: {
        onListing: (listing) => {
          this.records.clear();
          for (const [key, record] of listing) this.records.set(key, record);
          // A full list re-reads every Secret: a rotated token is picked up at the latest on the resync.
          this.made.clear();
          this.schedule();
        },
        onUpsert: (key, record) => {
          this.records.set(key, record);
          this.schedule();
        },
        onDelete: (key) => {
          this.records.delete(key);
          this.schedule();
        },
        onSynced: () => {
          if (this.watchError) logger.info('Karmada Clusters watched again');
          this.watchError = undefined;
        },
        onFailure: (reason) => {
          // Keeps the member kube clusters it has: a broken Cluster watch is no reason to drop them.
          if (!this.watchError)
            logger.warn(
              { code: KubeRegistryErrorCode.unreachable, reason: `karmada: ${reason}` },
              'Karmada Cluster watch failed; keeping the member kube clusters it added',
            );
          this.watchError = `karmada: ${reason}`;
        },
      },
    });
    await this.informer.start();
    await this.running;
  }

  /** The member kube clusters currently wanted, by name → Cluster. */
  clusters(): ReadonlyMap<string, string> {
    return this.members.clusters();
  }

  /** Clusters Karmada marks not ready or taints NoExecute (among those added), with why. */
  drainingClusters(): ReadonlyMap<string, string> {
    return this.draining;
  }

  /** Why the Cluster watch is failing, if it is. */
  error(): string | undefined {
    return this.watchError;
  }

  /** Resolves once the Clusters seen so far are reconciled and every add, replace and remove has finished. */
  async settled(): Promise<void> {
    await this.running;
    await this.members.settled();
  }

  /** Reconciles after the current reconcile (Secrets are read one Cluster at a time, in order). */
  private schedule(): void {
    this.running = this.running.then(() => this.reconcile());
  }

  private async reconcile(): Promise<void> {
    const wanted = new Map<string, WantedKubeCluster>();
    for (const record of [...this.records.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (record.syncMode !== 'Push' || record.name === '') continue;
      const key = JSON.stringify({ ...record, ready: undefined, noExecuteTaints: undefined });
      let made = this.made.get(record.name);
      if (made?.record !== key) {
        // A Cluster that cannot be used (yet: its Secret missing) is tried again on its next event.
        made = { record: key, wanted: await this.wantedOf(record) };
        if (made.wanted !== undefined) this.made.set(record.name, made);
      }
      if (made.wanted === undefined) continue;
      if (this.options.isTaken(record.name)) {
        this.options.logger.warn(
          { kubeCluster: record.name, code: KubeRegistryErrorCode.badKarmadaCluster },
          'Karmada Cluster names a kube cluster meshpilot already has (config file or remote secret); ignored',
        );
        continue;
      }
      wanted.set(record.name, made.wanted);
    }
    for (const name of [...this.made.keys()]) if (!this.records.has(name)) this.made.delete(name);
    this.members.reconcile(wanted);
    const draining = new Map<string, string>();
    for (const record of [...this.records.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const reason = wanted.has(record.name) ? drainReason(record) : undefined;
      if (reason !== undefined) draining.set(record.name, reason);
    }
    if (JSON.stringify([...draining]) !== JSON.stringify([...this.draining])) {
      this.draining = draining;
      this.options.logger.info({ draining: [...draining.values()] }, 'Karmada Clusters not ready or tainted NoExecute');
      this.options.onDrainChange?.(draining);
    }
  }

  /** The wanted entry of a Push-mode Cluster, reading its Secret; undefined (logged) when it cannot be used. */
  private async wantedOf(record: KarmadaClusterRecord): Promise<WantedKubeCluster | undefined> {
    const { logger } = this.options;
    const refuse = (reason: string): undefined => {
      logger.warn(
        { kubeCluster: record.name, code: KubeRegistryErrorCode.badKarmadaCluster, reason },
        'Karmada Cluster cannot be added as a member kube cluster',
      );
      return undefined;
    };
    const unusable = unusableReason(record);
    if (unusable !== undefined || record.secretRef === undefined)
      return refuse(unusable ?? 'spec.secretRef is missing');
    let data: Record<string, string>;
    try {
      if (this.core === undefined) return undefined;
      const secret = await this.core.readNamespacedSecret(record.secretRef);
      data = secret.data ?? {};
    } catch (error: unknown) {
      return refuse(
        `Secret ${record.secretRef.namespace}/${record.secretRef.name} not read: ${describeKubeError(error)}`,
      );
    }
    const made = kubeconfigOfKarmadaCluster(record, data);
    if ('error' in made) return refuse(made.error);
    const { kubeconfig } = made;
    return {
      owner: record.name,
      identity: `${record.network}\n${kubeconfig}`,
      createSource: () => this.options.createSource(record.name, kubeconfig, record.network),
    };
  }

  /** Stops watching Clusters and any source still syncing; the pipeline stops the installed ones. */
  async stop(): Promise<void> {
    await this.informer?.stop();
    await this.running;
    await this.members.stop();
  }
}
