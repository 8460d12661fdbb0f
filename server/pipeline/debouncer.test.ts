import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from './debouncer.ts';

describe('Debouncer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('merges items that arrive within the quiet time into one batch', () => {
    const batches: number[][] = [];
    const debouncer = new Debouncer<number>({ quietMs: 100, maxMs: 1000 }, (batch) => batches.push(batch));
    debouncer.add([1]);
    vi.advanceTimersByTime(60);
    debouncer.add([2, 3]);
    vi.advanceTimersByTime(60);
    debouncer.add([4]);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('counts the quiet time from the latest item, not the first', () => {
    const batches: number[][] = [];
    const debouncer = new Debouncer<number>({ quietMs: 100, maxMs: 1000 }, (batch) => batches.push(batch));
    debouncer.add([1]);
    vi.advanceTimersByTime(90);
    debouncer.add([2]);
    vi.advanceTimersByTime(60);
    // 150 ms after the first item, 60 ms after the latest: still waiting.
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(39);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([[1, 2]]);
  });

  it('flushes at the max time even while changes keep coming', () => {
    const batches: number[][] = [];
    const debouncer = new Debouncer<number>({ quietMs: 100, maxMs: 300 }, (batch) => batches.push(batch));
    for (let i = 0; i < 10; i += 1) {
      debouncer.add([i]);
      vi.advanceTimersByTime(50);
    }
    // The first batch was cut at 300 ms, not held for as long as changes kept arriving.
    expect(batches[0]).toEqual([0, 1, 2, 3, 4, 5]);
    vi.advanceTimersByTime(1000);
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.length).toBe(2);
  });

  it('does not flush an empty batch and stops cleanly', () => {
    const flush = vi.fn();
    const debouncer = new Debouncer<number>({ quietMs: 10, maxMs: 50 }, flush);
    debouncer.add([]);
    vi.advanceTimersByTime(100);
    debouncer.add([1]);
    debouncer.stop();
    vi.advanceTimersByTime(100);
    expect(flush).not.toHaveBeenCalled();
    expect(debouncer.pending()).toBe(0);
  });
});
