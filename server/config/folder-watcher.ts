import { watch, type FSWatcher } from 'node:fs';

export interface FolderWatcherOptions {
  /** Quiet time after a file event before reloading (editors write in several steps). */
  readonly settleMs?: number;
  /** Full reload interval, repairing any missed file event; 0 disables. */
  readonly resyncMs?: number;
}

/**
 * Watches a folder of manifests (fs.watch, recursive) and calls `reload` after each burst of file
 * events settles, and periodically; reloads never overlap. Used by the file registry and the
 * Istio config folders.
 */
export class FolderWatcher {
  private readonly dir: string;
  private readonly reload: () => Promise<void>;
  private readonly options: FolderWatcherOptions;
  private readonly onError: (message: string) => void;
  private watcher: FSWatcher | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    dir: string,
    reload: () => Promise<void>,
    options: FolderWatcherOptions,
    onError: (message: string) => void,
  ) {
    this.dir = dir;
    this.reload = reload;
    this.options = options;
    this.onError = onError;
  }

  start(): void {
    try {
      this.watcher = watch(this.dir, { recursive: true }, () => this.schedule());
      this.watcher.on('error', (error: unknown) =>
        this.onError(`watching the folder failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    } catch (error: unknown) {
      // A missing folder cannot be watched; the periodic reload picks it up once it exists.
      this.onError(`cannot watch the folder: ${error instanceof Error ? error.message : String(error)}`);
    }
    const resyncMs = this.options.resyncMs ?? 5_000;
    if (resyncMs > 0) this.resyncTimer = setInterval(() => this.schedule(), resyncMs);
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.reading = this.reading.then(() => (this.stopped ? undefined : this.reload()));
    }, this.options.settleMs ?? 30);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearTimeout(this.settleTimer);
    clearInterval(this.resyncTimer);
    await this.reading;
  }
}
