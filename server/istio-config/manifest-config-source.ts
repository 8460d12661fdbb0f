import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../config/config-error.ts';
import { parseManifestText } from '../config/manifests.ts';
import type { ConfigSourceHealth, IstioConfigSource, RawConfigObject } from './config-source.ts';
import { istioKindOf } from './validate.ts';

export interface ManifestConfigSourceOptions {
  readonly dir: string;
  readonly logger: Logger;
  /** Quiet time after a file event before re-reading the folder. */
  readonly settleMs?: number;
  /** Full re-read interval, repairing any missed file event; 0 disables. */
  readonly resyncMs?: number;
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];
const MAX_DEPTH = 32;

/** Manifest files under `dir`, sorted; dot-files and dot-folders (editor and ConfigMap `..data` copies) skipped. */
async function manifestFiles(dir: string, depth: number, seen: Set<string>): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real) || depth > MAX_DEPTH) return [];
  seen.add(real);
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory() === true);
    if (isDirectory) files.push(...(await manifestFiles(path, depth + 1, seen)));
    else if (EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext))) files.push(path);
  }
  return files;
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
  /** Paths and versions of `objects`, to notify only on a real change. */
  private signature = '';
  private errors: readonly string[] = [];
  private lastError: string | undefined;
  private syncedAt: string | undefined;
  private watcher: FSWatcher | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private onChange: () => void = () => {};
  private stopped = false;

  constructor(options: ManifestConfigSourceOptions) {
    this.options = options;
    this.description = `manifests ${options.dir}`;
  }

  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
    await this.reload();
    try {
      this.watcher = watch(this.options.dir, { recursive: true }, () => this.scheduleReload());
      this.watcher.on('error', (error: unknown) => {
        this.lastError = `watching the folder failed: ${errorMessage(error)}`;
      });
    } catch (error: unknown) {
      // A missing folder cannot be watched; the periodic re-read picks it up once it exists.
      this.lastError = `cannot watch the folder: ${errorMessage(error)}`;
    }
    const resyncMs = this.options.resyncMs ?? 5_000;
    if (resyncMs > 0) this.resyncTimer = setInterval(() => this.scheduleReload(), resyncMs);
  }

  private scheduleReload(): void {
    if (this.stopped) return;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.reading = this.reading.then(() => this.reload());
    }, this.options.settleMs ?? 30);
  }

  private async reload(): Promise<void> {
    if (this.stopped) return;
    const objects: RawConfigObject[] = [];
    const errors: string[] = [];
    let files: string[] = [];
    try {
      files = await manifestFiles(this.options.dir, 0, new Set());
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
        if (kind === undefined) continue;
        objects.push({
          kind,
          namespace: object.metadata.namespace ?? 'default',
          name: object.metadata.name,
          version: contentVersion(object),
          origin: { type: 'file', path: file },
          object,
        });
      }
    }
    if (this.stopped) return;
    if (errors.length > 0 && errors.join('\n') !== this.errors.join('\n')) {
      this.options.logger.warn({ source: this.description, errors: errors.length, first: errors[0] }, 'unreadable Istio config manifests skipped');
    }
    const signature = objects.map((o) => `${o.origin.type === 'file' ? o.origin.path : ''} ${o.version}`).join('\n');
    const changed = signature !== this.signature;
    this.signature = signature;
    this.objects = objects;
    this.errors = errors;
    this.syncedAt ??= new Date().toISOString();
    if (changed) this.onChange();
  }

  current(): readonly RawConfigObject[] {
    return this.objects;
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
    this.watcher?.close();
    clearTimeout(this.settleTimer);
    clearInterval(this.resyncTimer);
    await this.reading;
  }
}

