import type { Logger } from 'pino';
import { FolderWatcher } from '../config/folder-watcher.ts';
import { readManifestFolder, type ManifestParseCache } from '../config/manifests.ts';
import type { RegistryListener } from './events.ts';
import { KubeClusterStore } from './kube-cluster-store.ts';
import type { KubeClusterHealth, KubeClusterSource } from './kube-cluster-source.ts';
import { listingOf } from './kinds.ts';

export interface FileRegistryOptions {
  readonly name: string;
  readonly dir: string;
  readonly logger: Logger;
  /** Quiet time after a file event before re-reading the folder. */
  readonly settleMs?: number;
  /** Full re-read interval, repairing any missed file event; 0 disables. */
  readonly resyncMs?: number;
}

/** A kube cluster whose objects come from a folder of manifests, watched for changes. */
export class FileRegistry implements KubeClusterSource {
  readonly name: string;
  readonly store: KubeClusterStore;
  private readonly options: FileRegistryOptions;
  private watcher: FolderWatcher | undefined;
  private listener: RegistryListener = () => {};
  private syncedAt: string | undefined;
  private lastError: string | undefined;
  private stopped = false;
  /** Files are re-read on every change, but only the changed ones are parsed again. */
  private readonly parseCache: ManifestParseCache = new Map();
  /**
   * Reduced records by parsed object: an unchanged file keeps its parsed objects, so its records
   * stay the same objects and compare in O(1) against the store (and the snapshot reuses them).
   */
  private readonly reduced = new WeakMap<object, unknown>();

  private reduceOnce<R>(object: object, reduce: (object: unknown) => R): R {
    const known = this.reduced.get(object);
    if (known !== undefined) return known as R;
    const record = reduce(object);
    this.reduced.set(object, record);
    return record;
  }

  constructor(options: FileRegistryOptions) {
    this.options = options;
    this.name = options.name;
    this.store = new KubeClusterStore(options.name);
  }

  async start(listener: RegistryListener): Promise<void> {
    this.listener = listener;
    const started = Date.now();
    await this.reload();
    const counts = this.store.counts();
    this.options.logger.info(
      { kubeCluster: this.name, source: 'manifests', ...counts, ms: Date.now() - started },
      'kube cluster synced',
    );
    this.watcher = new FolderWatcher(
      this.options.dir,
      () => this.reload(),
      this.options,
      (message) => {
        this.lastError = message;
      },
    );
    this.watcher.start();
  }

  private async reload(): Promise<void> {
    if (this.stopped) return;
    const { objects, errors } = await readManifestFolder(this.options.dir, { cache: this.parseCache });
    if (errors.length > 0) {
      this.lastError = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      this.options.logger.warn(
        { kubeCluster: this.name, errors: errors.length, first: this.lastError.slice(0, 300) },
        'invalid manifests skipped',
      );
    } else {
      this.lastError = undefined;
    }
    const listing = listingOf(objects, (object, reduce) => this.reduceOnce(object, reduce));
    const changes = this.store.apply(this.store.diffAgainst(listing));
    this.syncedAt ??= new Date().toISOString();
    if (changes.length > 0 && !this.stopped) this.listener(changes);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.stop();
  }

  health(): KubeClusterHealth {
    return {
      name: this.name,
      source: 'manifests',
      state: this.syncedAt ? 'synced' : 'syncing',
      ...(this.syncedAt ? { syncedAt: this.syncedAt } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      objects: this.store.counts(),
    };
  }
}
