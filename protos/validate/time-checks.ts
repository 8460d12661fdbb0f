import { timeToNanos } from './parse-rules.ts';
import { checkRange } from './range.ts';
import { asBigint, asRecord } from './raw-values.ts';
import type { Failure, TimeRules } from './rule-types.ts';

const NANOS_PER_SECOND = 1_000_000_000n;
// google.protobuf.Duration: ±10,000 years in seconds, nanos of the same sign as seconds.
const MAX_DURATION_SECONDS = 315_576_000_000n;
// google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;

/** `1.5s`, `0.001s`, `-2s`: seconds with the fraction trimmed, as protobuf's JSON form writes a Duration. */
export function formatDuration(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const magnitude = nanos < 0n ? -nanos : nanos;
  const fraction = (magnitude % NANOS_PER_SECOND).toString().padStart(9, '0').replace(/0+$/, '');
  return `${sign}${magnitude / NANOS_PER_SECOND}${fraction === '' ? '' : `.${fraction}`}s`;
}

function formatTimestamp(nanos: bigint): string {
  const millis = Number(nanos / 1_000_000n);
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? `${nanos}ns since the epoch` : date.toISOString();
}

function parts(message: unknown): { seconds: bigint; nanos: bigint } | undefined {
  const total = timeToNanos(message);
  const record = asRecord(message);
  if (total === undefined || !record) return undefined;
  const nanos = asBigint(record.nanos ?? 0) ?? 0n;
  return { seconds: (total - nanos) / NANOS_PER_SECOND, nanos };
}

function invalidReason(kind: TimeRules['kind'], seconds: bigint, nanos: bigint): string | undefined {
  if (nanos <= -NANOS_PER_SECOND || nanos >= NANOS_PER_SECOND) return 'nanos must be within ±999,999,999';
  if (kind === 'duration') {
    if (seconds < -MAX_DURATION_SECONDS || seconds > MAX_DURATION_SECONDS)
      return 'seconds must be within ±315,576,000,000';
    if ((seconds > 0n && nanos < 0n) || (seconds < 0n && nanos > 0n))
      return 'seconds and nanos must have the same sign';
    return undefined;
  }
  if (nanos < 0n) return 'nanos must not be negative';
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS)
    return 'seconds must be within years 1 to 9999';
  return undefined;
}

/** Rules for a present Duration/Timestamp message (`required` is the walker's, since it concerns absence). */
export function checkTime(message: unknown, rules: TimeRules): Failure | undefined {
  const value = parts(message);
  if (!value) return { rule: rules.kind, message: `value is not a valid ${rules.kind}` };
  const invalid = invalidReason(rules.kind, value.seconds, value.nanos);
  if (invalid !== undefined) return { rule: rules.kind, message: `value is not a valid ${rules.kind}: ${invalid}` };
  const total = value.seconds * NANOS_PER_SECOND + value.nanos;
  return checkRange(rules.kind, total, rules.range, rules.kind === 'duration' ? formatDuration : formatTimestamp);
}
