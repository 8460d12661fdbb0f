import { watch, type FSWatcher } from 'node:fs';
import { errorMessage } from '../../common/error-message.ts';

export interface FolderWatcherOptions {
  /** Quiet time after a file event before reading (editors write in several steps). */
  readonly settleMs?: number;
  /** Longest wait after the first event of a burst, so steady churn cannot postpone a read forever. */
  readonly settleMaxMs?: number;
  /** Full re-read interval, repairing any missed file event; 0 disables. */
  readonly resyncMs?: number;
}

/**
 * What to read again: the entries fs.watch named (paths relative to the folder, '/'-separated by the
 * platform's separator), or everything (`full`): the periodic resync, a watcher error, an event without
 * a name, or more names than are worth keeping.
 */
export interface FolderEvents {
  readonly full: boolean;
  readonly names: ReadonlySet<string>;
}

/** Past this many distinct names in one burst, a full re-read is cheaper than remembering them. */
const MAX_PENDING_NAMES = 4_096;

/**
 * Watches a folder (fs.watch, recursive) and calls `read` after each burst of file events settles
 * (quiet for settleMs, at most settleMaxMs after its first event), and periodically with `full`;
 * reads never overlap, and events arriving during a read are kept for the next one.
 */
export class FolderWatcher {
  private readonly dir: string;
  private readonly read: (events: FolderEvents) => Promise<void>;
  private readonly options: FolderWatcherOptions;
  private readonly onError: (message: string) => void;
  private watcher: FSWatcher | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private burstStartedAt: number | undefined;
  /** Names seen since the last read, with the time of their last event. */
  private pendingNames = new Map<string, number>();
  private pendingFull = false;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    dir: string,
    read: (events: FolderEvents) => Promise<void>,
    options: FolderWatcherOptions,
    onError: (message: string) => void,
  ) {
    this.dir = dir;
    this.read = read;
    this.options = options;
    this.onError = onError;
  }

  start(): void {
    this.startWatch();
    const resyncMs = this.options.resyncMs ?? 5_000;
    if (resyncMs > 0)
      this.resyncTimer = setInterval(() => {
        // A folder missing at start (or removed since) is watched again once it exists.
        if (this.watcher === undefined) this.startWatch();
        this.schedule(undefined);
      }, resyncMs);
  }

  private startWatch(): void {
    try {
      const watcher = watch(this.dir, { recursive: true }, (_event, name) => this.schedule(name ?? undefined));
      watcher.on('error', (error: unknown) => {
        this.onError(`watching the folder failed: ${errorMessage(error)}`);
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
        this.schedule(undefined);
      });
      this.watcher = watcher;
    } catch (error: unknown) {
      // A missing folder cannot be watched; the periodic resync retries and reads it once it exists.
      this.onError(`cannot watch the folder: ${errorMessage(error)}`);
    }
  }

  /** Whether fs.watch is running (not before the folder exists, nor after it failed until the next resync). */
  watching(): boolean {
    return this.watcher !== undefined;
  }

  /** `name` undefined: read everything. */
  private schedule(name: string | Buffer | undefined): void {
    if (this.stopped) return;
    const now = Date.now();
    if (name === undefined || this.pendingNames.size >= MAX_PENDING_NAMES) this.pendingFull = true;
    else this.pendingNames.set(typeof name === 'string' ? name : name.toString('utf8'), now);
    this.burstStartedAt ??= now;
    const settleMs = this.options.settleMs ?? 30;
    const latest = this.burstStartedAt + Math.max(settleMs, this.options.settleMaxMs ?? 100);
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.flush(), Math.max(0, Math.min(settleMs, latest - now)));
  }

  /**
   * Reads what has settled. When events keep coming (the longest wait is over), a name whose own last
   * event is fresher than settleMs waits for the next read: it is probably being written right now.
   */
  private flush(): void {
    const settleMs = this.options.settleMs ?? 30;
    const now = Date.now();
    const ready = new Set<string>();
    const fresh = new Map<string, number>();
    for (const [name, at] of this.pendingNames) {
      if (this.pendingFull || now - at >= settleMs) ready.add(name);
      else fresh.set(name, at);
    }
    const events: FolderEvents = { full: this.pendingFull, names: ready };
    this.pendingFull = false;
    this.pendingNames = fresh;
    this.burstStartedAt = undefined;
    if (fresh.size > 0) {
      this.burstStartedAt = now;
      this.settleTimer = setTimeout(() => this.flush(), settleMs);
    }
    if (!events.full && ready.size === 0) return;
    this.reading = this.reading.then(async () => {
      if (this.stopped) return;
      try {
        await this.read(events);
      } catch (error: unknown) {
        this.onError(`reading the folder failed: ${errorMessage(error)}`);
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearTimeout(this.settleTimer);
    clearInterval(this.resyncTimer);
    await this.reading;
  }
}
