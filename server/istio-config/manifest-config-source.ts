import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ConfigOrigin, IstioKind } from '../../model/istio/types.ts';
import { errorMessage } from '../../common/error-message.ts';
import { FolderWatcher } from '../config/folder-watcher.ts';
import { manifestFilesOf, parseManifestText } from '../config/manifests.ts';
import type { ConfigSourceHealth, IstioConfigSource, RawConfigObject } from './config-source.ts';
import { unsupportedObjectOf, type UnsupportedObject } from './unsupported-kinds.ts';
import { istioKindOf } from './validate.ts';

export interface ManifestConfigSourceOptions {
  readonly dir: string;
  readonly logger: Logger;
  /** Quiet time after a file event before re-reading the folder. */
  readonly settleMs?: number;
  /** Full re-read interval, repairing any missed file event; 0 disables. */
  readonly resyncMs?: number;
  /**
   * Set for a member kube cluster's folder: only its WorkloadEntries are read, as that kube cluster's
   * (origin and scope), and kinds meshpilot does not translate are not reported (istiod reads none there).
   */
  readonly memberKubeCluster?: string;
}

/** A content hash standing in for resourceVersion: it changes exactly when the object does. */
export function contentVersion(object: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 16)}`;
}

/**
 * Istio objects from a folder of manifests (and any other kinds in it, which are skipped), watched
 * like the file registry: fs.watch with a settle delay, plus a periodic full re-read.
 */
export class ManifestConfigSource implements IstioConfigSource {
  readonly description: string;
  private readonly options: ManifestConfigSourceOptions;
  private objects: readonly RawConfigObject[] = [];
  private unsupportedObjects: readonly UnsupportedObject[] = [];
  /** Paths and versions of `objects`, to notify only on a real change. */
  private signature = '';
  private errors: readonly string[] = [];
  private lastError: string | undefined;
  private syncedAt: string | undefined;
  private watcher: FolderWatcher | undefined;
  private onChange: () => void = () => {};
  private stopped = false;

  constructor(options: ManifestConfigSourceOptions) {
    this.options = options;
    this.description =
      options.memberKubeCluster !== undefined
        ? `WorkloadEntries of cluster ${options.memberKubeCluster} (manifests ${options.dir})`
        : `manifests ${options.dir}`;
  }

  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
    await this.reload();
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
    const objects: RawConfigObject[] = [];
    const unsupported: UnsupportedObject[] = [];
    const errors: string[] = [];
    let files: string[] = [];
    try {
      files = await manifestFilesOf(this.options.dir);
      this.lastError = undefined;
    } catch (error: unknown) {
      this.lastError = `cannot read the folder ${this.options.dir}: ${errorMessage(error)}`;
    }
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error: unknown) {
        errors.push(`${file}: cannot read the file: ${errorMessage(error)}`);
        continue;
      }
      const parsed = parseManifestText(text, file);
      for (const error of parsed.errors) errors.push(`${error.path}: ${error.message} (${error.code})`);
      for (const object of parsed.objects) {
        const kind = istioKindOf(object.apiVersion, object.kind);
        const raw = (kind: IstioKind, origin: ConfigOrigin): RawConfigObject => ({
          kind,
          namespace: object.metadata.namespace ?? 'default',
          name: object.metadata.name,
          version: contentVersion(object),
          origin,
          object,
        });
        const member = this.options.memberKubeCluster;
        if (member !== undefined) {
          if (kind === 'WorkloadEntry')
            objects.push({ ...raw(kind, { type: 'kube', kubeCluster: member }), scope: member });
          continue;
        }
        if (kind === undefined) {
          const skipped = unsupportedObjectOf(object, { type: 'file', path: file });
          if (skipped !== undefined) unsupported.push(skipped);
          continue;
        }
        objects.push(raw(kind, { type: 'file', path: file }));
      }
    }
    if (this.stopped) return;
    if (errors.length > 0 && errors.join('\n') !== this.errors.join('\n')) {
      this.options.logger.warn(
        { source: this.description, errors: errors.length, first: errors[0] },
        'unreadable Istio config manifests skipped',
      );
    }
    const signature = [
      ...objects.map((o) => `${o.origin.type === 'file' ? o.origin.path : o.name} ${o.version}`),
      ...unsupported.map((o) => `unsupported ${o.apiVersion} ${o.kind} ${o.namespace}/${o.name}`),
    ].join('\n');
    const changed = signature !== this.signature;
    this.signature = signature;
    this.objects = objects;
    this.unsupportedObjects = unsupported;
    this.errors = errors;
    this.syncedAt ??= new Date().toISOString();
    if (changed) this.onChange();
  }

  current(): readonly RawConfigObject[] {
    return this.objects;
  }

  unsupported(): readonly UnsupportedObject[] {
    return this.unsupportedObjects;
  }

  health(): ConfigSourceHealth {
    return {
      source: this.description,
      state: this.syncedAt === undefined ? 'syncing' : 'synced',
      ...(this.syncedAt !== undefined ? { syncedAt: this.syncedAt } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.errors.length > 0 ? { errors: this.errors } : {}),
      objects: this.objects.length,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.stop();
  }
}
