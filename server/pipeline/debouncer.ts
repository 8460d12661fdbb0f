export interface DebounceOptions {
  /** Flush after this long without a new item. */
  readonly quietMs: number;
  /** Flush at the latest this long after the first item of a batch. */
  readonly maxMs: number;
}

/**
 * Merges items into batches, as istiod's debounce does: a batch is flushed once no item arrived
 * for `quietMs`, or `maxMs` after its first item, whichever comes first.
 */
export class Debouncer<T> {
  private readonly options: DebounceOptions;
  private readonly flushBatch: (batch: T[], firstAt: number) => void;
  private batch: T[] = [];
  private firstAt = 0;
  /** performance.now() of the latest item: the quiet timer re-arms itself from it instead of being reset per item. */
  private lastAt = 0;
  private quietTimer: NodeJS.Timeout | undefined;
  private maxTimer: NodeJS.Timeout | undefined;

  constructor(options: DebounceOptions, flush: (batch: T[], firstAt: number) => void) {
    this.options = options;
    this.flushBatch = flush;
  }

  add(items: Iterable<T>): void {
    for (const item of items) this.batch.push(item);
    if (this.batch.length === 0) return;
    this.lastAt = performance.now();
    if (this.maxTimer === undefined) {
      this.firstAt = this.lastAt;
      this.maxTimer = setTimeout(() => this.flush(), this.options.maxMs);
    }
    // One timer per quiet period, not one cleared and set again per item: under a stream of watch events
    // (100/s) the timer churn cost more than the rest of an event's handling.
    this.quietTimer ??= setTimeout(() => this.quietCheck(), this.options.quietMs);
  }

  /** The quiet timer fired: flush if nothing arrived for quietMs, else wait out the rest of it. */
  private quietCheck(): void {
    const remaining = this.lastAt + this.options.quietMs - performance.now();
    if (remaining > 0) {
      this.quietTimer = setTimeout(() => this.quietCheck(), remaining);
      return;
    }
    this.flush();
  }

  flush(): void {
    clearTimeout(this.quietTimer);
    clearTimeout(this.maxTimer);
    this.quietTimer = undefined;
    this.maxTimer = undefined;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.flushBatch(batch, this.firstAt);
  }

  pending(): number {
    return this.batch.length;
  }

  stop(): void {
    clearTimeout(this.quietTimer);
    clearTimeout(this.maxTimer);
    this.quietTimer = undefined;
    this.maxTimer = undefined;
    this.batch = [];
  }
}
