import { percentile } from '../clock.ts';

/** One row of the results: a metric of one scenario, for meshpilot and the baseline, against its target. */
export interface ScenarioRow {
  /** Stable id, e.g. `a/push/10000`. */
  readonly id: string;
  readonly scenario: 'a' | 'b' | 'c' | 'd' | 'e';
  readonly title: string;
  readonly streams: number;
  readonly services: number;
  readonly metric: string;
  readonly unit: string;
  readonly meshpilot: number | null;
  readonly baseline: number | null;
  /** meshpilot / baseline, when both exist and the baseline is not zero. */
  readonly ratio: number | null;
  readonly target: string;
  /** null: no target for this row, or the measurement did not complete. */
  readonly pass: boolean | null;
  readonly status: 'ok' | 'timeout' | 'error';
  /**
   * Real xDS servers measured on the same fleet, mesh and changes (e.g. go-control-plane): each one's
   * value and meshpilot / that value.
   */
  readonly peers?: Readonly<Record<string, PeerCell>>;
  /** Server CPU-seconds (utime + stime) over what the row measures, per server. */
  readonly cpuSeconds?: Readonly<Record<string, number | null>>;
  readonly notes?: string;
  readonly details?: Record<string, unknown>;
}

export interface PeerCell {
  readonly value: number | null;
  /** meshpilot / value. */
  readonly ratio: number | null;
  readonly version?: string;
}

export function ratioOf(meshpilot: number | null, baseline: number | null): number | null {
  if (meshpilot === null || baseline === null || baseline === 0) return null;
  return meshpilot / baseline;
}

export function round(value: number | null | undefined, digits = 1): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The q-th percentile of convergence latencies in ms, to 0.1 ms; null when there are none. */
export function latencyPercentile(latencies: readonly number[] | undefined, q: number): number | null {
  return latencies && latencies.length > 0 ? round(percentile(latencies, q), 1) : null;
}

/** A row for a scenario that could not produce numbers (timeout or error), so the table still lists it. */
export function failedRow(
  base: Omit<ScenarioRow, 'meshpilot' | 'baseline' | 'ratio' | 'pass' | 'status'>,
  status: 'timeout' | 'error',
  message: string,
): ScenarioRow {
  return { ...base, meshpilot: null, baseline: null, ratio: null, pass: null, status, notes: message.slice(0, 300) };
}
