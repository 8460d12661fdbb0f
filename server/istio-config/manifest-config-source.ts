import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ConfigOrigin, IstioKind } from '../../model/istio/types.ts';
import { ManifestFolders, type FileChange, type ManifestFile, type ManifestFolder } from '../config/manifest-folder.ts';
import type { ConfigSourceHealth, IstioConfigSource, RawConfigObject } from './config-source.ts';
import { unsupportedObjectOf, type UnsupportedObject } from './unsupported-kinds.ts';
import { istioKindOf } from './validate.ts';

export interface ManifestConfigSourceOptions {
  readonly dir: string;
  readonly logger: Logger;
  /** Quiet time after a file event before reading the changed files. */
  readonly settleMs?: number;
  /** Full re-read interval (files whose size, times or inode moved), repairing any missed file event; 0 disables. */
  readonly resyncMs?: number;
  /**
   * Set for a member kube cluster's folder: only its WorkloadEntries are read, as that kube cluster's
   * (origin and scope), and kinds meshpilot does not translate are not reported (istiod reads none there).
   */
  readonly memberKubeCluster?: string;
  /** The folders shared with the other readers of this folder (the file registry); a private one if left out. */
  readonly folders?: ManifestFolders;
}

/** A content hash standing in for resourceVersion: it changes exactly when the object does. */
export function contentVersion(object: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 16)}`;
}

/** What one file gives this source. */
interface FileContent {
  readonly file: ManifestFile;
  readonly objects: readonly RawConfigObject[];
  readonly unsupported: readonly UnsupportedObject[];
  readonly errors: readonly string[];
}

/**
 * Istio objects from a folder of manifests (and any other kinds in it, which are skipped), read through
 * the folder shared with the file registry: only changed files are looked at again, and a change is
 * announced only when the objects, unsupported objects or errors it holds changed.
 */
export class ManifestConfigSource implements IstioConfigSource {
  readonly description: string;
  private readonly options: ManifestConfigSourceOptions;
  private readonly folders: ManifestFolders;
  private folder: ManifestFolder | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly files = new Map<string, FileContent>();
  private objects: readonly RawConfigObject[] = [];
  private unsupportedObjects: readonly UnsupportedObject[] = [];
  private errors: readonly string[] = [];
  private syncedAt: string | undefined;
  private onChange: () => void = () => {};
  private stopped = false;

  constructor(options: ManifestConfigSourceOptions) {
    this.options = options;
    this.description =
      options.memberKubeCluster !== undefined
        ? `WorkloadEntries of cluster ${options.memberKubeCluster} (manifests ${options.dir})`
        : `manifests ${options.dir}`;
    this.folders =
      options.folders ??
      new ManifestFolders({
        ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
        ...(options.resyncMs !== undefined ? { resyncMs: options.resyncMs } : {}),
      });
  }

  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
    const folder = this.folders.acquire(this.options.dir);
    this.folder = folder;
    await folder.start();
    if (this.stopped) return;
    this.syncedAt = new Date().toISOString();
    this.unsubscribe = folder.follow((changes) => this.update(changes));
  }

  private update(changes: readonly FileChange[]): void {
    if (this.stopped) return;
    let changed = false;
    for (const { path, after } of changes) {
      const previous = this.files.get(path);
      const next = after !== undefined ? this.contentOf(after) : undefined;
      if (next !== undefined) this.files.set(path, next);
      else this.files.delete(path);
      if (!sameContent(previous, next)) changed = true;
    }
    if (!changed) return;
    const contents = [...this.files.values()].sort((a, b) =>
      a.file.order < b.file.order ? -1 : a.file.order > b.file.order ? 1 : 0,
    );
    const errors = contents.flatMap((c) => c.errors);
    if (errors.length > 0 && errors.join('\n') !== this.errors.join('\n')) {
      this.options.logger.warn(
        { source: this.description, errors: errors.length, first: errors[0] },
        'unreadable Istio config manifests skipped',
      );
    }
    this.objects = contents.flatMap((c) => c.objects);
    this.unsupportedObjects = contents.flatMap((c) => c.unsupported);
    this.errors = errors;
    this.onChange();
  }

  /** The file's objects for this source; undefined when it gives nothing (most files of a member folder). */
  private contentOf(file: ManifestFile): FileContent | undefined {
    const objects: RawConfigObject[] = [];
    const unsupported: UnsupportedObject[] = [];
    const errors = file.parsed.errors.map(
      (error) => `${join(this.options.dir, error.path)}: ${error.message} (${error.code})`,
    );
    const member = this.options.memberKubeCluster;
    for (const { object } of file.parsed.located) {
      const kind = istioKindOf(object.apiVersion, object.kind);
      const raw = (kind: IstioKind, origin: ConfigOrigin): RawConfigObject => ({
        kind,
        namespace: object.metadata.namespace ?? 'default',
        name: object.metadata.name,
        version: contentVersion(object),
        origin,
        object,
      });
      if (member !== undefined) {
        if (kind === 'WorkloadEntry')
          objects.push({ ...raw(kind, { type: 'kube', kubeCluster: member }), scope: member });
        continue;
      }
      if (kind === undefined) {
        const skipped = unsupportedObjectOf(object, { type: 'file', path: file.path });
        if (skipped !== undefined) unsupported.push(skipped);
        continue;
      }
      objects.push(raw(kind, { type: 'file', path: file.path }));
    }
    if (objects.length + unsupported.length + errors.length === 0) return undefined;
    return { file, objects, unsupported, errors };
  }

  current(): readonly RawConfigObject[] {
    return this.objects;
  }

  unsupported(): readonly UnsupportedObject[] {
    return this.unsupportedObjects;
  }

  health(): ConfigSourceHealth {
    const lastError = this.folder?.problem();
    return {
      source: this.description,
      state: this.syncedAt === undefined ? 'syncing' : 'synced',
      ...(this.syncedAt !== undefined ? { syncedAt: this.syncedAt } : {}),
      ...(lastError !== undefined ? { lastError } : {}),
      ...(this.errors.length > 0 ? { errors: this.errors } : {}),
      objects: this.objects.length,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.folder !== undefined) await this.folders.release(this.folder);
  }
}

/** Same objects (by version), unsupported objects and errors, in the same order. */
function sameContent(a: FileContent | undefined, b: FileContent | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const signature = (c: FileContent): string =>
    [
      ...c.objects.map((o) => `${o.kind} ${o.namespace}/${o.name} ${o.version}`),
      ...c.unsupported.map((o) => `unsupported ${o.apiVersion} ${o.kind} ${o.namespace}/${o.name}`),
      ...c.errors,
    ].join('\n');
  return signature(a) === signature(b);
}
