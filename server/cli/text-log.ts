import type { DestinationStream } from 'pino';

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIPPED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function field(value: unknown): string {
  if (typeof value === 'string') return /^[^\s="]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** One pino JSON line as `2026-12-06T05:10:00.000Z INFO  message key=value ...`; other lines unchanged. */
export function textLogLine(line: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  if (typeof record !== 'object' || record === null) return `${line.trimEnd()}\n`;
  const entries = record as Record<string, unknown>;
  const time = typeof entries.time === 'number' ? new Date(entries.time).toISOString() : '';
  const level = typeof entries.level === 'number' ? (LEVEL_NAMES[entries.level] ?? String(entries.level)) : '';
  const message = typeof entries.msg === 'string' ? entries.msg : '';
  const rest = Object.entries(entries)
    .filter(([key]) => !SKIPPED.has(key))
    .map(([key, value]) => `${key}=${field(value)}`);
  return `${[time, level.padEnd(5), message, ...rest].filter((part) => part !== '').join(' ')}\n`;
}

/** A pino destination writing human-readable lines (the `--log-format text` of `serve`) to `out`. */
export function textLogDestination(out: NodeJS.WritableStream = process.stdout): DestinationStream {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) if (line !== '') out.write(textLogLine(line));
    },
  };
}
