import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRange } from './range.ts';
import type { RangeRules } from './rule-types.ts';
import { formatDuration } from './time-checks.ts';
import { isHostname } from './well-known.ts';

function rules(partial: Partial<RangeRules<number>>): RangeRules<number> {
  return { in: [], notIn: [], ...partial };
}

describe('checkRange (protoc-gen-validate bound semantics)', () => {
  it('reads gt < lt as inside the open range and gt ≥ lt as outside the closed one', () => {
    const inside = rules({ gt: 0, lt: 10 });
    expect([0, 1, 9, 10].map((value) => checkRange('int32', value, inside, String)?.rule)).toEqual([
      'int32.gt',
      undefined,
      undefined,
      'int32.lt',
    ]);
    expect(checkRange('int32', 0, inside, String)?.message).toBe('value must be inside range (0, 10) (got 0)');
    const outside = rules({ gt: 10, lt: 0 });
    expect([-1, 0, 10, 11].map((value) => checkRange('int32', value, outside, String)?.rule)).toEqual([
      undefined,
      'int32.gt',
      'int32.gt',
      undefined,
    ]);
    expect(checkRange('int32', 5, outside, String)?.message).toBe('value must be outside range [0, 10] (got 5)');
  });

  it('agrees with the bound arithmetic for every combination of bounds', () => {
    const lowKey = fc.constantFrom('gt' as const, 'gte' as const, undefined);
    const highKey = fc.constantFrom('lt' as const, 'lte' as const, undefined);
    const small = fc.integer({ min: -20, max: 20 });
    fc.assert(
      fc.property(lowKey, small, highKey, small, small, (lk, low, hk, high, value) => {
        const aboveLow = lk === undefined || (lk === 'gt' ? value > low : value >= low);
        const belowHigh = hk === undefined || (hk === 'lt' ? value < high : value <= high);
        const both = lk !== undefined && hk !== undefined;
        const expectedOk = both && high <= low ? aboveLow || belowHigh : aboveLow && belowHigh;
        const range = rules({ ...(lk && { [lk]: low }), ...(hk && { [hk]: high }) });
        expect(checkRange('sint32', value, range, String) === undefined).toBe(expectedOk);
      }),
      { numRuns: 500 },
    );
  });

  it('checks const first, then in and not_in, on bigint too', () => {
    expect(checkRange('uint64', 5n, { const: 6n, in: [], notIn: [] }, String)?.rule).toBe('uint64.const');
    expect(checkRange('uint64', 5n, { in: [1n, 2n], notIn: [] }, String)?.message).toBe(
      'value must be in list [1, 2] (got 5)',
    );
    expect(checkRange('uint64', 2n, { in: [], notIn: [2n] }, String)?.rule).toBe('uint64.not_in');
    expect(checkRange('uint64', 18446744073709551615n, { gt: 0n, in: [], notIn: [] }, String)).toBeUndefined();
  });
});

describe('helpers', () => {
  it('formats durations as protobuf JSON does', () => {
    expect([0n, 1_000_000n, 1_500_000_000n, -2_000_000_000n].map(formatDuration)).toEqual([
      '0s',
      '0.001s',
      '1.5s',
      '-2s',
    ]);
  });

  it('accepts hostnames by PGV rules', () => {
    expect(['example.com', 'example.com.', 'a-b.c', 'x'.repeat(63)].every(isHostname)).toBe(true);
    expect(['', '.', 'a_b.com', '-a.com', 'a-.com', 'x'.repeat(64), `${'a.'.repeat(127)}ab`].some(isHostname)).toBe(
      false,
    );
  });
});
