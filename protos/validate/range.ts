import type { Failure, RangeRules } from './rule-types.ts';

type Ordered = number | bigint;

/** A pair of bounds as protoc-gen-validate combines them (see its `ltgt` template). */
interface Bounds<T extends Ordered> {
  readonly lowKey?: 'gt' | 'gte';
  readonly low?: T;
  readonly highKey?: 'lt' | 'lte';
  readonly high?: T;
}

function bounds<T extends Ordered>(rules: RangeRules<T>): Bounds<T> {
  const low =
    rules.gt !== undefined
      ? { lowKey: 'gt' as const, low: rules.gt }
      : rules.gte !== undefined
        ? { lowKey: 'gte' as const, low: rules.gte }
        : {};
  const high =
    rules.lt !== undefined
      ? { highKey: 'lt' as const, high: rules.lt }
      : rules.lte !== undefined
        ? { highKey: 'lte' as const, high: rules.lte }
        : {};
  return { ...low, ...high };
}

function aboveLow<T extends Ordered>(value: T, key: 'gt' | 'gte', low: T): boolean {
  return key === 'gt' ? value > low : value >= low;
}

function belowHigh<T extends Ordered>(value: T, key: 'lt' | 'lte', high: T): boolean {
  return key === 'lt' ? value < high : value <= high;
}

const SINGLE_BOUND_TEXT = {
  gt: 'greater than',
  gte: 'greater than or equal to',
  lt: 'less than',
  lte: 'less than or equal to',
} as const;

/**
 * Checks const, the bounds and in/not_in in PGV's order and returns the first failure. With both
 * bounds, low < high means "inside (low, high)"; low ≥ high means "outside [high, low]" (PGV's rule).
 */
export function checkRange<T extends Ordered>(
  family: string,
  value: T,
  rules: RangeRules<T>,
  format: (value: T) => string,
): Failure | undefined {
  const got = ` (got ${format(value)})`;
  if (rules.const !== undefined && value !== rules.const) {
    return { rule: `${family}.const`, message: `value must equal ${format(rules.const)}${got}` };
  }
  const { lowKey, low, highKey, high } = bounds(rules);
  if (lowKey !== undefined && low !== undefined && highKey !== undefined && high !== undefined) {
    const open = lowKey === 'gt' ? '(' : '[';
    const close = highKey === 'lt' ? ')' : ']';
    if (high > low) {
      if (!aboveLow(value, lowKey, low)) {
        return {
          rule: `${family}.${lowKey}`,
          message: `value must be inside range ${open}${format(low)}, ${format(high)}${close}${got}`,
        };
      }
      if (!belowHigh(value, highKey, high)) {
        return {
          rule: `${family}.${highKey}`,
          message: `value must be inside range ${open}${format(low)}, ${format(high)}${close}${got}`,
        };
      }
    } else if (!aboveLow(value, lowKey, low) && !belowHigh(value, highKey, high)) {
      const outsideOpen = highKey === 'lt' ? '[' : '(';
      const outsideClose = lowKey === 'gt' ? ']' : ')';
      return {
        rule: `${family}.${lowKey}`,
        message: `value must be outside range ${outsideOpen}${format(high)}, ${format(low)}${outsideClose}${got}`,
      };
    }
  } else if (lowKey !== undefined && low !== undefined && !aboveLow(value, lowKey, low)) {
    return { rule: `${family}.${lowKey}`, message: `value must be ${SINGLE_BOUND_TEXT[lowKey]} ${format(low)}${got}` };
  } else if (highKey !== undefined && high !== undefined && !belowHigh(value, highKey, high)) {
    return {
      rule: `${family}.${highKey}`,
      message: `value must be ${SINGLE_BOUND_TEXT[highKey]} ${format(high)}${got}`,
    };
  }
  if (rules.in.length > 0 && !rules.in.includes(value)) {
    return { rule: `${family}.in`, message: `value must be in list [${rules.in.map(format).join(', ')}]${got}` };
  }
  if (rules.notIn.includes(value)) {
    return {
      rule: `${family}.not_in`,
      message: `value must not be in list [${rules.notIn.map(format).join(', ')}]${got}`,
    };
  }
  return undefined;
}
