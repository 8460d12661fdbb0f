import { describe, expect, it } from 'vitest';
import { parseDurationMs } from './duration.ts';

describe('parseDurationMs', () => {
  it.each([
    ['1.5s', 1500],
    ['100ms', 100],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
    ['0.1s', 100],
    ['2000000ns', 2],
    ['1000us', 1],
  ])('parses %s to %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toEqual({ ok: true, ms });
  });

  it.each(['', '10', '1.5', 's', '-1s', '1 s', '1d', '1.s'])('refuses %j', (text) => {
    expect(parseDurationMs(text)).toMatchObject({ ok: false, message: expect.stringContaining('expected a duration') });
  });

  it('refuses sub-millisecond precision instead of rounding', () => {
    expect(parseDurationMs('1500us')).toEqual({
      ok: false,
      message: 'only millisecond precision is supported, got "1500us" (1.5ms)',
    });
  });
});
