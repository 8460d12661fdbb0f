/**
 * Changes waiting for a stream (queued, or held while it does not read): a short list, or `all`
 * (look at every subscribed type). Merging never needs to know what a change is: past a few
 * changes the list becomes `all`, which costs a diff of each type and sends the same bytes.
 */
export type PendingChanges<C> = 'all' | readonly C[];

const MAX_PENDING_CHANGES = 32;

export function mergePending<C>(a: PendingChanges<C>, b: PendingChanges<C>): PendingChanges<C> {
  if (a === 'all' || b === 'all') return 'all';
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return a.length + b.length > MAX_PENDING_CHANGES ? 'all' : [...a, ...b];
}

export function isNothingPending<C>(pending: PendingChanges<C>): boolean {
  return pending !== 'all' && pending.length === 0;
}
