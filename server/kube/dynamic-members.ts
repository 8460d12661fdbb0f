import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeClusterSource } from '../registry/kube-cluster-source.ts';
import { PresyncedSource } from '../registry/presynced-source.ts';

/** What the member set needs from the pipeline (MeshPipeline has it). */
export interface KubeClusterRegistrar {
  /** Adds a source, or replaces the one of the same name, and awaits its start. */
  addKubeCluster(source: KubeClusterSource): Promise<void>;
  /** Stops a source and rebuilds once without it. */
  removeKubeCluster(name: string): Promise<void>;
}

/** One kube cluster a watched object asks for: the object naming it, and what identifies its source. */
export interface WantedKubeCluster {
  /** The object naming the kube cluster (a remote secret, a Karmada Cluster), for logs. */
  readonly owner: string;
  /** Everything the source is made from (kubeconfig text, network, …): a change replaces the source. */
  readonly identity: string;
  readonly createSource: () => KubeClusterSource;
}

export interface DynamicKubeClustersOptions {
  readonly registrar: KubeClusterRegistrar;
  readonly logger: Logger;
  /** How logs name these kube clusters ("remote", "Karmada") and their owner field ("secret", "karmadaCluster"). */
  readonly label: string;
  readonly ownerField: string;
  /** The code logged when a replacement source does not sync and the previous one is kept. */
  readonly unusableCode: string;
}

interface ActiveCluster {
  readonly owner: string;
  readonly digest: string;
  readonly source: KubeClusterSource;
}

const digestOf = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Kube clusters that come and go while meshpilot runs (remote secrets, Karmada Clusters): given the
 * wanted set, adds a kube cluster when it appears, replaces it when its identity changes (the new
 * source synced first, then swapped in with one rebuild; one that cannot sync keeps the old one) and
 * removes it when it goes. Operations on one kube cluster run in order; different ones do not wait
 * for each other.
 */
export class DynamicKubeClusters {
  private readonly options: DynamicKubeClustersOptions;
  /** The wanted source per kube cluster (maybe still syncing). */
  private readonly active = new Map<string, ActiveCluster>();
  /** The source the pipeline serves per kube cluster. */
  private readonly installed = new Map<string, KubeClusterSource>();
  private readonly operations = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(options: DynamicKubeClustersOptions) {
    this.options = options;
  }

  /** The kube clusters currently wanted, by name → owner. */
  clusters(): ReadonlyMap<string, string> {
    return new Map([...this.active].map(([name, cluster]) => [name, cluster.owner]));
  }

  /** Makes the served kube clusters follow `wanted` (name → what makes its source). */
  reconcile(wanted: ReadonlyMap<string, WantedKubeCluster>): void {
    if (this.stopped) return;
    for (const [name, { owner, identity, createSource }] of wanted) {
      const digest = digestOf(identity);
      const current = this.active.get(name);
      if (current?.digest === digest) continue;
      const source = createSource();
      this.active.set(name, { owner, digest, source });
      this.enqueue(name, () => this.install(source, owner));
    }
    for (const [name, current] of [...this.active]) {
      if (wanted.has(name)) continue;
      this.active.delete(name);
      this.enqueue(name, async () => {
        if (!this.installed.delete(name)) return;
        await this.options.registrar.removeKubeCluster(name);
        this.options.logger.info(
          { kubeCluster: name, [this.options.ownerField]: current.owner },
          `${this.options.label} kube cluster removed`,
        );
      });
    }
  }

  /** Resolves once every queued add, replace and remove has finished. */
  async settled(): Promise<void> {
    for (let round = 0; round < 100 && this.operations.size > 0; round += 1)
      await Promise.all([...this.operations.values()]);
  }

  /** Syncs the new source first, then swaps it in (one rebuild) and stops the one it replaces. */
  private async install(source: KubeClusterSource, owner: string): Promise<void> {
    const { logger, label, ownerField } = this.options;
    const presynced = new PresyncedSource(source);
    await presynced.presync();
    if (this.stopped || this.active.get(source.name)?.source !== source) {
      await source.stop();
      return;
    }
    const replaced = this.installed.get(source.name);
    const newHealth = source.health();
    if (replaced && newHealth.syncedAt === undefined) {
      // Continuity: a replacement that cannot sync must not take the cluster's endpoints away.
      logger.warn(
        { kubeCluster: source.name, [ownerField]: owner, code: this.options.unusableCode, reason: newHealth.lastError },
        `new kubeconfig for ${label} kube cluster does not sync; keeping the previous one`,
      );
      await source.stop();
      return;
    }
    await this.options.registrar.addKubeCluster(presynced);
    this.installed.set(source.name, source);
    await replaced?.stop();
    const health = source.health();
    logger.info(
      {
        kubeCluster: source.name,
        [ownerField]: owner,
        state: health.state,
        ...(health.lastError ? { reason: health.lastError } : {}),
      },
      replaced ? `${label} kube cluster replaced (its source changed)` : `${label} kube cluster added`,
    );
  }

  private enqueue(name: string, operation: () => Promise<void>): void {
    const previous = this.operations.get(name) ?? Promise.resolve();
    const next = previous
      .then(operation)
      .catch((error: unknown) => {
        this.options.logger.error(
          { kubeCluster: name, reason: error instanceof Error ? error.message : String(error) },
          `${this.options.label} kube cluster change failed`,
        );
      })
      .finally(() => {
        if (this.operations.get(name) === next) this.operations.delete(name);
      });
    this.operations.set(name, next);
  }

  /** Stops any source still syncing and waits for queued operations; the pipeline stops the installed ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    const installed = new Set(this.installed.values());
    await Promise.all(
      [...this.active.values()]
        .filter((cluster) => !installed.has(cluster.source))
        .map((cluster) => cluster.source.stop()),
    );
    await this.settled();
  }
}
