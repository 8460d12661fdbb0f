import { describe, expect, it } from 'vitest';
import { eventually, eventuallyResolves } from './eventually.ts';

describe('eventually', () => {
  it('returns once the check holds, sync or async', async () => {
    let calls = 0;
    await eventually(() => ++calls === 3, 'the third call', 1_000, 1);
    expect(calls).toBe(3);
    await eventually(async () => Promise.resolve(true), 'an async check', 1_000, 1);
  });

  it('throws naming what it waited for once the time is up', async () => {
    await expect(eventually(() => false, 'the impossible', 50, 10)).rejects.toThrow(
      'timed out waiting for the impossible (50 ms)',
    );
  });

  it('eventuallyResolves returns the first result and reports the last error when none comes', async () => {
    let calls = 0;
    const value = await eventuallyResolves(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error(`not yet ${calls}`);
        return 'done';
      },
      'a value',
      1_000,
      1,
    );
    expect(value).toBe('done');
    await expect(
      eventuallyResolves(() => Promise.reject(new Error('still broken')), 'the service', 50, 10),
    ).rejects.toThrow('the service: still failing after 50 ms: still broken');
  });
});
