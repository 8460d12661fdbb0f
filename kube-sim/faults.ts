import { KubeSimError, KubeSimErrorCode } from './errors.ts';

/** Fault switches the HTTP layer consults on every request. */
export class FaultState {
  private delayMs = 0;
  private forced410 = 0;

  setDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new KubeSimError(
        KubeSimErrorCode.badOption,
        `delay must be a non-negative number of milliseconds, got ${ms}`,
      );
    this.delayMs = ms;
  }

  delay(): number {
    return this.delayMs;
  }

  forceWatch410(count: number): void {
    if (!Number.isInteger(count) || count < 0)
      throw new KubeSimError(KubeSimErrorCode.badOption, `force410 count must be a non-negative integer, got ${count}`);
    this.forced410 = count;
  }

  /** True (and counts down) when this watch must be answered with 410 Gone. */
  takeForced410(): boolean {
    if (this.forced410 <= 0) return false;
    this.forced410 -= 1;
    return true;
  }

  pendingForced410(): number {
    return this.forced410;
  }

  reset(): void {
    this.delayMs = 0;
    this.forced410 = 0;
  }
}

/** The fault controls tests use; the same operations are served at POST /_sim/faults/<name>. */
export interface KubeSimFaults {
  /** Closes the listener and drops every connection; the port stays reserved for restart(). */
  stop(): Promise<void>;
  /** Listens again on the same host and port, with the same certificates and state. */
  restart(): Promise<void>;
  /** Destroys the sockets of all open watches without a final event (a silent network cut). Returns how many. */
  cutWatches(): number;
  /** Delays every later API response by `ms` (0 turns it off). */
  delay(ms: number): void;
  /** The next `count` watch requests (default 1) get an ERROR event with a 410 Expired Status. */
  force410(count?: number): void;
  /** Forgets the watch history: every resourceVersion before now becomes too old (410). */
  compact(): void;
  /** Clears delay and pending forced 410s. */
  reset(): void;
}
