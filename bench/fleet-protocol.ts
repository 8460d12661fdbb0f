/** Messages between the orchestrator and its ADS load-client workers (child_process IPC). */

export interface OpenArgs {
  readonly host: string;
  readonly port: number;
  /** Source address for this worker's connections (spreads ephemeral ports over 127.0.0.0/8). */
  readonly localAddress: string;
  /** Global sidecar indices this worker simulates (each picks its view from its index). */
  readonly indices: readonly number[];
  readonly tracked: readonly string[];
  readonly keepNames: boolean;
  readonly connectTimeoutMs: number;
  readonly windowBytes?: number;
}

export interface TrackedChange {
  readonly resource: string;
  /** nowMs() (CLOCK_MONOTONIC) when the change was written. */
  readonly writtenAt: number;
}

export interface FleetRequest {
  readonly id: number;
  readonly op: 'open' | 'start' | 'status' | 'summaries' | 'convergence' | 'pause' | 'resume' | 'streamInfo' | 'close';
  readonly open?: OpenArgs;
  readonly changes?: readonly TrackedChange[];
  readonly indices?: readonly number[];
}

export interface OpenResult {
  readonly connected: number;
  readonly failed: number;
  readonly firstError?: string;
}

export interface StatusResult {
  readonly streams: number;
  readonly initialDone: number;
  readonly failed: number;
  readonly closed: number;
  readonly responses: number;
  readonly bytesReceived: number;
  /** Latest initialDoneAt among done streams (nowMs clock); undefined when none is done. */
  readonly lastInitialDoneAt?: number;
  readonly firstFailure?: string;
}

export interface SummariesResult {
  /** namesDigest → how many streams of this worker got exactly those names, per view key. */
  readonly digests: Record<string, Record<string, number>>;
  readonly cdsNames: readonly number[];
  readonly edsNames: readonly number[];
  /** Per stream: first request written → initial CDS+EDS fully ACKed, ms. */
  readonly initialMs: readonly number[];
  /** Resource names per stream index (only when opened with keepNames). */
  readonly names?: Record<number, { cds: string[]; eds: string[] }>;
}

export interface ChangeConvergence {
  readonly resource: string;
  readonly converged: number;
  /** Subscribed streams that never ACKed new content for the resource after the change. */
  readonly missing: number;
}

export interface ConvergenceResult {
  /** ACK time − write time, ms, one per (subscribed stream, change) that converged. */
  readonly latencies: readonly number[];
  readonly perChange: readonly ChangeConvergence[];
}

export interface StreamInfo {
  readonly index: number;
  readonly bytesReceived: number;
  readonly responses: number;
  readonly cdsVersion: string;
  readonly edsVersion: string;
  readonly closed: boolean;
  readonly failure?: string;
}

export interface FleetReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly result?: OpenResult | StatusResult | SummariesResult | ConvergenceResult | readonly StreamInfo[] | null;
}
