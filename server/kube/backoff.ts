export interface BackoffOptions {
  /** First delay. */
  readonly initialMs: number;
  /** Largest delay. */
  readonly maxMs: number;
  /** A failure this long after the previous one starts again from `initialMs` (client-go's reset duration). */
  readonly resetAfterMs: number;
  /** Each delay is drawn uniformly from [delay × (1 − jitter), delay]; 0..1. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 30_000, resetAfterMs: 120_000, jitter: 0.5 };

/**
 * Exponential backoff with jitter for restarting a failed watch: the delay doubles per failure up
 * to `maxMs`, and resets once failures stop for `resetAfterMs`.
 */
export class Backoff {
  private readonly options: BackoffOptions;
  private readonly random: () => number;
  private failures = 0;
  private lastFailureAt: number | undefined;

  constructor(options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random) {
    if (
      !(options.initialMs > 0) ||
      !(options.maxMs >= options.initialMs) ||
      !(options.jitter >= 0 && options.jitter <= 1)
    ) {
      throw new Error(
        `invalid backoff options: initialMs ${options.initialMs} must be > 0, maxMs ${options.maxMs} >= initialMs, jitter ${options.jitter} within 0..1`,
      );
    }
    this.options = options;
    this.random = random;
  }

  /** The delay before the next attempt, after a failure at `now`. */
  next(now: number = Date.now()): number {
    if (this.lastFailureAt !== undefined && now - this.lastFailureAt >= this.options.resetAfterMs) this.failures = 0;
    this.lastFailureAt = now;
    // 2^failures overflows to Infinity long after the min() has capped it; bound the exponent anyway.
    const exponent = Math.min(this.failures, 40);
    this.failures += 1;
    const ceiling = Math.min(this.options.maxMs, this.options.initialMs * 2 ** exponent);
    return Math.round(ceiling * (1 - this.options.jitter * this.random()));
  }

  /** Forgets earlier failures. */
  reset(): void {
    this.failures = 0;
    this.lastFailureAt = undefined;
  }
}
