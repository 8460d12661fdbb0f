/**
 * Bytes of responses handed to gRPC but not flushed yet, over every stream of the server, and the
 * streams waiting for room. A full push to every stream at once (a restart, a thousand proxies
 * connecting together) otherwise queues every stream's whole CDS + EDS in the process before the
 * first one leaves: a peak of streams × push size (300 MB for 1,000 proxies at 100 services), which
 * the allocator keeps after it is freed, so it stayed in RSS for the process's life. istiod bounds its
 * concurrent pushes the same way (PILOT_PUSH_THROTTLE).
 *
 * A stream starts a push or an answer only while the total is under the limit (one push may go over
 * it; a stream never waits for itself). Bytes count until their write completes or `holdMs` passed,
 * so a client that stopped reading holds its share only that long and cannot stall the others (its
 * own memory stays bounded by its connection: one response in flight, the rest merged).
 */
export interface BudgetWaiter {
  /** Called once there is room again; the waiter then sends what it has waiting. */
  onBudget(): void;
}

export const DEFAULT_WRITE_BUDGET_BYTES = 32 * 2 ** 20;
export const DEFAULT_WRITE_HOLD_MS = 2_000;

export class WriteBudget {
  private inFlight = 0;
  private readonly waiting = new Set<BudgetWaiter>();
  private waking = false;

  constructor(
    readonly limitBytes = DEFAULT_WRITE_BUDGET_BYTES,
    private readonly holdMs = DEFAULT_WRITE_HOLD_MS,
  ) {}

  /** True when a stream may start sending now. */
  hasRoom(): boolean {
    return this.inFlight < this.limitBytes;
  }

  get bytesInFlight(): number {
    return this.inFlight;
  }

  get waiters(): number {
    return this.waiting.size;
  }

  /** Asks for `onBudget` once there is room (first come, first served; at most once per waiter). */
  wait(waiter: BudgetWaiter): void {
    this.waiting.add(waiter);
  }

  /** A closed stream stops waiting. */
  forget(waiter: BudgetWaiter): void {
    this.waiting.delete(waiter);
  }

  /** Counts `bytes` handed to gRPC; the returned function (idempotent) gives them back when they were written. */
  charge(bytes: number): () => void {
    this.inFlight += bytes;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.inFlight -= bytes;
      this.wake();
    };
    const timer = setTimeout(release, this.holdMs);
    timer.unref();
    return release;
  }

  private wake(): void {
    // A woken stream writes (and may be released synchronously): one loop, not a recursion per waiter.
    if (this.waking) return;
    this.waking = true;
    try {
      for (const waiter of this.waiting) {
        if (!this.hasRoom()) break;
        this.waiting.delete(waiter);
        waiter.onBudget();
      }
    } finally {
      this.waking = false;
    }
  }
}
