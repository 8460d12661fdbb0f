import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  const options = { initialMs: 200, maxMs: 30_000, resetAfterMs: 120_000, jitter: 0.5 };

  it('doubles from the initial delay up to the maximum, without jitter at random() = 0', () => {
    const backoff = new Backoff(options, () => 0);
    const delays = Array.from({ length: 12 }, (_, i) => backoff.next(1000 + i));
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000, 30000]);
  });

  it('jitters each delay down to at most half, never above the ceiling', () => {
    const low = new Backoff(options, () => 0.999999);
    expect([low.next(0), low.next(1), low.next(2)]).toEqual([100, 200, 400]);
    const draws = [0.3, 0.7];
    const backoff = new Backoff(options, () => draws.shift() ?? 0);
    expect([backoff.next(0), backoff.next(1)]).toEqual([170, 260]);
  });

  it('starts over once failures stop for resetAfterMs, and on reset()', () => {
    const backoff = new Backoff(options, () => 0);
    expect([backoff.next(0), backoff.next(10), backoff.next(20)]).toEqual([200, 400, 800]);
    expect(backoff.next(20 + 119_999)).toBe(1600);
    expect(backoff.next(20 + 119_999 + 120_000)).toBe(200);
    backoff.next(300_000);
    backoff.reset();
    expect(backoff.next(300_001)).toBe(200);
  });

  it('stays bounded after very many failures', () => {
    const backoff = new Backoff(options, () => 0);
    let last = 0;
    for (let i = 0; i < 5_000; i += 1) last = backoff.next(i);
    expect(last).toBe(30_000);
  });

  it('refuses options that would spin or never retry', () => {
    expect(() => new Backoff({ ...options, initialMs: 0 })).toThrow(/initialMs 0 must be > 0/);
    expect(() => new Backoff({ ...options, maxMs: 100 })).toThrow(/maxMs 100/);
    expect(() => new Backoff({ ...options, jitter: 2 })).toThrow(/jitter 2/);
  });
});
