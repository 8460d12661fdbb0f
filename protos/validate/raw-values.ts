/**
 * Narrowing helpers for option values as protobufjs parses them (numbers, strings, booleans, enum
 * names, nested objects, and a lone scalar where the .proto gave a repeated field once).
 */

export type RawRecord = Readonly<Record<string, unknown>>;

export function asRecord(value: unknown): RawRecord | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as RawRecord) : undefined;
}

/** A repeated option value: absent → [], lone scalar → [scalar]. */
export function asList(value: unknown): readonly unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function asBool(value: unknown): boolean {
  return value === true || value === 'true';
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** 64-bit integers: numbers, decimal strings, bigint, or Long objects (anything whose toString is decimal). */
export function asBigint(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string') return /^-?\d+$/.test(value.trim()) ? BigInt(value.trim()) : undefined;
  const record = asRecord(value);
  if (record && typeof record.low === 'number' && typeof record.high === 'number') {
    return BigInt(String(value));
  }
  return undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Deep merge, used when one field carries several `(validate.rules)` option statements. */
export function mergeRecords(target: RawRecord, source: RawRecord): RawRecord {
  const merged: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const left = asRecord(merged[key]);
    const right = asRecord(value);
    merged[key] = left && right ? mergeRecords(left, right) : value;
  }
  return merged;
}
