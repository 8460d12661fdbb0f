import { basename } from 'node:path';
import type { Logger } from 'pino';
import { ManifestFolders, type FileChange, type ManifestFolder } from '../config/manifest-folder.ts';
import { KUBE_KINDS, type RegistryChange, type RegistryListener } from './events.ts';
import { KubeClusterStore } from './kube-cluster-store.ts';
import type { KubeClusterHealth, KubeClusterSource } from './kube-cluster-source.ts';
import { KUBE_KIND_TABLE } from './kinds.ts';
import { ManifestObjectIndex } from './manifest-index.ts';

export interface FileRegistryOptions {
  readonly name: string;
  readonly dir: string;
  readonly logger: Logger;
  /** Quiet time after a file event before reading the changed files. */
  readonly settleMs?: number;
  /** Full re-read interval (files whose size, times or inode moved), repairing any missed file event; 0 disables. */
  readonly resyncMs?: number;
  /** The folders shared with the other readers of this folder (its WorkloadEntries); a private one if left out. */
  readonly folders?: ManifestFolders;
}

/**
 * A kube cluster whose objects come from a folder of manifests, watched for changes: only the changed
 * files are read and parsed again, and only the objects whose record changed are sent on.
 */
export class FileRegistry implements KubeClusterSource {
  readonly name: string;
  readonly store: KubeClusterStore;
  private readonly options: FileRegistryOptions;
  private readonly folders: ManifestFolders;
  private folder: ManifestFolder | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly index = new ManifestObjectIndex();
  private listener: RegistryListener = () => {};
  private syncedAt: string | undefined;
  private fileErrors: string | undefined;
  private stopped = false;

  constructor(options: FileRegistryOptions) {
    this.options = options;
    this.name = options.name;
    this.store = new KubeClusterStore(options.name);
    this.folders =
      options.folders ??
      new ManifestFolders({
        ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
        ...(options.resyncMs !== undefined ? { resyncMs: options.resyncMs } : {}),
      });
  }

  async start(listener: RegistryListener): Promise<void> {
    this.listener = listener;
    const started = Date.now();
    const folder = this.folders.acquire(this.options.dir);
    this.folder = folder;
    await folder.start();
    if (this.stopped) return;
    this.syncedAt = new Date().toISOString();
    this.unsubscribe = folder.follow((changes) => this.update(changes));
    this.options.logger.info(
      { kubeCluster: this.name, source: 'manifests', ...this.store.counts(), ms: Date.now() - started },
      'kube cluster synced',
    );
  }

  private update(files: readonly FileChange[]): void {
    if (this.stopped) return;
    const changes: RegistryChange[] = [];
    const seen = new Set<string>();
    for (const ref of this.index.apply(files)) {
      const id = `${ref.kind}|${ref.key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const object = this.index.objectOf(ref);
      changes.push(
        (object === undefined
          ? { kubeCluster: this.name, kind: ref.kind, op: 'delete', key: ref.key }
          : {
              kubeCluster: this.name,
              kind: ref.kind,
              op: 'upsert',
              key: ref.key,
              record: KUBE_KIND_TABLE[ref.kind].reduce(object),
            }) as RegistryChange,
      );
    }
    this.reportErrors();
    // As a full listing's diff: kind by kind, deletes first.
    const rank = (change: RegistryChange): number =>
      KUBE_KINDS.indexOf(change.kind) * 2 + (change.op === 'delete' ? 0 : 1);
    changes.sort((a, b) => rank(a) - rank(b));
    const effective = this.store.apply(changes);
    if (effective.length > 0) this.listener(effective);
  }

  private reportErrors(): void {
    const folderName = basename(this.options.dir);
    const errors = this.index.errors(folderName === '' ? '' : `${folderName}/`);
    const joined = errors.length > 0 ? errors.map((e) => `${e.path}: ${e.message}`).join('; ') : undefined;
    if (joined !== undefined && joined !== this.fileErrors)
      this.options.logger.warn(
        { kubeCluster: this.name, errors: errors.length, first: joined.slice(0, 300) },
        'invalid manifests skipped',
      );
    this.fileErrors = joined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.folder !== undefined) await this.folders.release(this.folder);
  }

  health(): KubeClusterHealth {
    const lastError = this.folder?.problem() ?? this.fileErrors;
    return {
      name: this.name,
      source: 'manifests',
      state: this.syncedAt ? 'synced' : 'syncing',
      ...(this.syncedAt ? { syncedAt: this.syncedAt } : {}),
      ...(lastError ? { lastError } : {}),
      objects: this.store.counts(),
    };
  }
}
