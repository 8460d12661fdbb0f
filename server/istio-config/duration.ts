const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

export type DurationParse = { ok: true; ms: number } | { ok: false; message: string };

/**
 * Parses an Istio duration: protobuf JSON style ("1.5s") or Go style ("100ms", "5m", "1h30m").
 * Istio accepts millisecond precision only, so "1500us" is refused rather than rounded.
 */
export function parseDurationMs(text: string): DurationParse {
  if (!DURATION.test(text))
    return {
      ok: false,
      message: `expected a duration like "1.5s", "100ms", "5m" or "1h", got ${JSON.stringify(text)}`,
    };
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0);
  // Sums of decimal fractions carry float noise (0.1s + 0.2s); snap to the micro-millisecond before judging.
  const snapped = Math.round(ms * 1e6) / 1e6;
  if (!Number.isInteger(snapped))
    return {
      ok: false,
      message: `only millisecond precision is supported, got ${JSON.stringify(text)} (${snapped}ms)`,
    };
  if (!Number.isSafeInteger(snapped)) return { ok: false, message: `duration ${JSON.stringify(text)} is too long` };
  return { ok: true, ms: snapped };
}
