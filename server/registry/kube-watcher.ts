import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { BackoffOptions } from '../kube/backoff.ts';
import { KUBE_KINDS, type KubeKind, type KubeRecords, type RegistryChange, type RegistryListener } from './events.ts';
import { KubeClusterStore } from './kube-cluster-store.ts';
import type { KubeAccess, KubeClusterHealth, KubeClusterSource } from './kube-cluster-source.ts';
import { KubeRegistryErrorCode } from '../kube/kube-error.ts';
import { KubeconfigError, loadKubeConfig, type KubeconfigSource } from '../kube/kubeconfig.ts';
import type { KubeconfigPolicy } from '../kube/kubeconfig-policy.ts';
import { kubeKindResources, type KubeKindResources } from './kube-kinds.ts';
import { ResilientInformer } from '../kube/informer.ts';

export type UnreachablePolicy = 'keep' | 'drop';

/** How live kube clusters are watched (config `registry:`). */
export interface RegistrySettings {
  /** Full re-list interval repairing silently missed events (istio/istio#54997); 0 disables. */
  readonly resyncMs: number;
  /** While a kube cluster is unreachable: keep serving its last-known records, or drop them after `dropAfterMs`. */
  readonly unreachablePolicy: UnreachablePolicy;
  readonly dropAfterMs: number;
}

export const DEFAULT_REGISTRY_SETTINGS: RegistrySettings = {
  resyncMs: 300_000,
  unreachablePolicy: 'keep',
  dropAfterMs: 600_000,
};

export interface KubeWatcherOptions {
  readonly name: string;
  /** A kubeconfig file, or its text (from a remote secret). */
  readonly kubeconfig: KubeconfigSource;
  readonly source?: 'kubeconfig' | 'remote-secret' | 'karmada';
  /** The kube cluster's network when its source names one (a Karmada Cluster's network label). */
  readonly network?: string;
  /** What the kubeconfig may use beyond inline credentials; default: nothing (as for a remote secret). */
  readonly policy?: KubeconfigPolicy;
  /** Called when the policy refuses the kubeconfig (the metric). */
  readonly onKubeconfigRefused?: (kubeCluster: string) => void;
  readonly logger: Logger;
  readonly settings?: Partial<RegistrySettings>;
  readonly backoff?: BackoffOptions;
  readonly listPageSize?: number;
  readonly listTimeoutMs?: number;
}

type KindListing = { [K in KubeKind]: ReadonlyMap<string, KubeRecords[K]> };

/**
 * A member kube cluster watched through its API server: one resilient client-node informer per kind
 * (Services, EndpointSlices, Pods, Nodes; all namespaces), objects reduced as they arrive, changes
 * emitted through the store. While the API server is unreachable its last-known records stay
 * (policy `keep`) so a broken watch never empties a push (istio/istio#45992).
 */
export class KubeWatcher implements KubeClusterSource {
  readonly name: string;
  readonly store: KubeClusterStore;
  private readonly options: KubeWatcherOptions;
  private readonly settings: RegistrySettings;
  private readonly informers = new Map<KubeKind, ResilientInformer<KubeRecords[KubeKind]>>();
  /** Kinds whose list or watch is failing, with why. */
  private readonly failing = new Map<KubeKind, string>();
  private listener: RegistryListener = () => {};
  /** Changes held back until the first sync completes, then emitted as one batch. */
  private pending: RegistryChange[] | undefined = [];
  private configError: string | undefined;
  private syncedAt: string | undefined;
  private unreachableSince: number | undefined;
  private lastError: string | undefined;
  /** The cause last logged at warn while unreachable (the reason without its `list Pod: ` prefix). */
  private loggedCause: string | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private dropTimer: NodeJS.Timeout | undefined;
  private resyncing = false;
  private stopped = false;

  constructor(options: KubeWatcherOptions) {
    this.options = options;
    this.name = options.name;
    this.store = new KubeClusterStore(options.name);
    this.settings = { ...DEFAULT_REGISTRY_SETTINGS, ...options.settings };
  }

  /** The kubeconfig this kube cluster is reached with and what it may use (other writers of the cluster reuse it). */
  kubeAccess(): KubeAccess {
    return { kubeconfig: this.options.kubeconfig, ...(this.options.policy ? { policy: this.options.policy } : {}) };
  }

  async start(listener: RegistryListener): Promise<void> {
    this.listener = listener;
    const started = Date.now();
    let kubeConfig: KubeConfig;
    let resources: KubeKindResources;
    let secrets: readonly string[];
    try {
      ({ kubeConfig, credentials: secrets } = loadKubeConfig(this.options.kubeconfig, this.options.policy));
      resources = kubeKindResources(kubeConfig);
    } catch (error: unknown) {
      const where = 'path' in this.options.kubeconfig ? ` ${this.options.kubeconfig.path}` : '';
      const refused = error instanceof KubeconfigError && error.refused;
      const code = refused ? KubeRegistryErrorCode.refusedKubeconfig : KubeRegistryErrorCode.badKubeconfig;
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
      this.configError = refused
        ? `${this.name}: ${code}: kubeconfig${where} ${reason}`
        : `${this.name}: invalid kubeconfig${where}: ${reason}`;
      this.lastError = this.configError;
      this.unreachableSince = Date.now();
      this.pending = undefined;
      if (refused) this.options.onKubeconfigRefused?.(this.name);
      this.options.logger.error(
        { kubeCluster: this.name, code, reason: this.configError },
        refused ? 'kube cluster not watched: kubeconfig refused' : 'kube cluster not watched: invalid kubeconfig',
      );
      return;
    }
    for (const kind of KUBE_KINDS) this.informers.set(kind, this.createInformer(kind, kubeConfig, resources, secrets));
    await Promise.all([...this.informers.values()].map((informer) => informer.start()));
    if (this.stopped) return;

    const batch = this.pending ?? [];
    this.pending = undefined;
    if (batch.length > 0) this.listener(batch);
    if (this.failing.size === 0) {
      this.options.logger.info(
        { kubeCluster: this.name, source: this.sourceKind(), ...this.store.counts(), ms: Date.now() - started },
        'kube cluster synced',
      );
    }
    if (this.settings.resyncMs > 0) this.resyncTimer = setInterval(() => void this.resync(), this.settings.resyncMs);
  }

  private createInformer<K extends KubeKind>(
    kind: K,
    kubeConfig: KubeConfig,
    resources: KubeKindResources,
    secrets: readonly string[],
  ): ResilientInformer<KubeRecords[KubeKind]> {
    const resource = resources[kind];
    const informer = new ResilientInformer<KubeRecords[K]>({
      kubeConfig,
      resource,
      secrets,
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      ...(this.options.listPageSize ? { pageSize: this.options.listPageSize } : {}),
      ...(this.options.listTimeoutMs ? { listTimeoutMs: this.options.listTimeoutMs } : {}),
      handlers: {
        onListing: (listing) => this.emit(this.store.diffAgainst(this.withListing(kind, listing))),
        onUpsert: (key, record) =>
          this.emit([{ kubeCluster: this.name, kind, op: 'upsert', key, record } as RegistryChange]),
        onDelete: (key) => this.emit([{ kubeCluster: this.name, kind, op: 'delete', key } as RegistryChange]),
        onSynced: () => this.kindSynced(kind),
        onFailure: (reason) => this.kindFailed(kind, reason),
        onEventError: (reason) =>
          this.options.logger.error(
            { kubeCluster: this.name, kind, code: 'MESHPILOT_ERR_KUBE_EVENT', reason },
            'kube watch event lost; listing again',
          ),
      },
    });
    return informer as unknown as ResilientInformer<KubeRecords[KubeKind]>;
  }

  /** Every kind as stored, except `kind`, which is replaced by a fresh listing. */
  private withListing<K extends KubeKind>(kind: K, listing: ReadonlyMap<string, KubeRecords[K]>): KindListing {
    const current: Record<KubeKind, ReadonlyMap<string, unknown>> = {
      Service: this.store.records('Service'),
      EndpointSlice: this.store.records('EndpointSlice'),
      Pod: this.store.records('Pod'),
      Node: this.store.records('Node'),
      Namespace: this.store.records('Namespace'),
    };
    current[kind] = listing;
    return current as KindListing;
  }

  private emit(changes: readonly RegistryChange[]): void {
    if (this.stopped) return;
    const effective = this.store.apply(changes);
    if (effective.length === 0) return;
    if (this.pending) this.pending.push(...effective);
    else this.listener(effective);
  }

  private kindSynced(kind: KubeKind): void {
    this.failing.delete(kind);
    const allSynced = [...this.informers.values()].every((informer) => informer.state === 'synced');
    if (!allSynced || this.stopped) return;
    const wasDownSince = this.unreachableSince;
    this.syncedAt = new Date().toISOString();
    this.unreachableSince = undefined;
    this.lastError = undefined;
    clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
    if (wasDownSince !== undefined && this.pending === undefined) {
      this.options.logger.info(
        {
          kubeCluster: this.name,
          source: this.sourceKind(),
          ...this.store.counts(),
          downMs: Date.now() - wasDownSince,
        },
        'kube cluster reachable again, re-listed',
      );
    }
  }

  private kindFailed(kind: KubeKind, reason: string): void {
    if (this.stopped) return;
    this.failing.set(kind, reason);
    this.lastError = `${this.name}: ${reason}`;
    const cause = failureCause(reason);
    if (this.unreachableSince !== undefined) {
      if (cause !== this.loggedCause) {
        // The same failure on another kind or request is news to no one; a different cause is (issue 18).
        this.loggedCause = cause;
        this.options.logger.warn(
          { kubeCluster: this.name, code: KubeRegistryErrorCode.unreachable, reason: this.lastError },
          'kube cluster still unreachable, for another reason',
        );
      } else
        this.options.logger.debug({ kubeCluster: this.name, reason: this.lastError }, 'kube cluster still unreachable');
      return;
    }
    this.loggedCause = cause;
    this.unreachableSince = Date.now();
    const policy = this.settings.unreachablePolicy;
    this.options.logger.warn(
      {
        kubeCluster: this.name,
        code: KubeRegistryErrorCode.unreachable,
        reason: this.lastError,
        policy,
        ...(policy === 'drop' ? { dropAfterMs: this.settings.dropAfterMs } : {}),
      },
      policy === 'keep'
        ? 'kube cluster unreachable; serving its last-known records'
        : 'kube cluster unreachable; its records are dropped if it stays so',
    );
    if (policy === 'drop') this.dropTimer = setTimeout(() => this.dropFailingKinds(), this.settings.dropAfterMs);
  }

  /** Policy `drop`: forget the records of the kinds still failing; they come back with the next successful list. */
  private dropFailingKinds(): void {
    this.dropTimer = undefined;
    if (this.stopped || this.failing.size === 0) return;
    const empty = new Map<string, never>();
    let changes: RegistryChange[] = [];
    for (const kind of this.failing.keys())
      changes = changes.concat(this.store.diffAgainst(this.withListing(kind, empty)));
    this.options.logger.warn(
      { kubeCluster: this.name, dropped: changes.length, kinds: [...this.failing.keys()] },
      'kube cluster unreachable too long; its records are dropped',
    );
    this.emit(changes);
  }

  /** Periodic full re-list of every healthy kind, each compared with the store; repairs missed events. */
  async resync(): Promise<void> {
    if (this.resyncing || this.stopped) return;
    this.resyncing = true;
    try {
      await Promise.all([...this.informers.values()].map((informer) => informer.relist()));
    } finally {
      this.resyncing = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    clearTimeout(this.dropTimer);
    await Promise.all([...this.informers.values()].map((informer) => informer.stop()));
  }

  get network(): string | undefined {
    return this.options.network;
  }

  private sourceKind(): 'kubeconfig' | 'remote-secret' | 'karmada' {
    return this.options.source ?? 'kubeconfig';
  }

  health(): KubeClusterHealth {
    const unreachable = this.configError !== undefined || this.failing.size > 0;
    return {
      name: this.name,
      source: this.sourceKind(),
      state: unreachable ? 'unreachable' : this.syncedAt ? 'synced' : 'syncing',
      ...(this.syncedAt ? { syncedAt: this.syncedAt } : {}),
      ...(unreachable && this.unreachableSince !== undefined
        ? { unreachableSince: new Date(this.unreachableSince).toISOString() }
        : {}),
      ...(unreachable && this.lastError ? { lastError: this.lastError } : {}),
      objects: this.store.counts(),
      ...(this.options.network ? { network: this.options.network } : {}),
    };
  }
}

/** `list Pod: connect ECONNREFUSED …` → `connect ECONNREFUSED …`: the cause, whichever request met it. */
function failureCause(reason: string): string {
  return reason.replace(/^(list|watch) [A-Za-z]+: /, '');
}
