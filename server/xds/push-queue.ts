import type { Metrics } from '../metrics/metrics.ts';
import type { XdsConnection } from './connection.ts';
import { mergePending, type PendingChanges } from './pending-changes.ts';
import type { StreamProxy } from './resource-source.ts';

interface Pending<C> {
  changes: PendingChanges<C>;
  changeSeenAt: number | undefined;
  enqueuedAt: number;
}

/**
 * istiod's PushQueue: a stream queued twice is pushed once, with the changes merged and the newest
 * state; streams are pushed a batch per event-loop turn so requests and ACKs keep flowing while a
 * large push is under way.
 */
export class PushQueue<P extends StreamProxy, C> {
  private readonly pending = new Map<XdsConnection<P, C>, Pending<C>>();
  private scheduled = false;
  private readonly batchSize: number;
  private readonly metrics: Metrics;

  constructor(metrics: Metrics, batchSize = 256) {
    this.metrics = metrics;
    this.batchSize = batchSize;
  }

  enqueue(connection: XdsConnection<P, C>, changes: PendingChanges<C>, changeSeenAt?: number): void {
    const existing = this.pending.get(connection);
    if (existing) {
      existing.changes = mergePending(existing.changes, changes);
      existing.changeSeenAt = existing.changeSeenAt ?? changeSeenAt;
    } else {
      this.pending.set(connection, { changes, changeSeenAt, enqueuedAt: performance.now() });
    }
    this.schedule();
  }

  size(): number {
    return this.pending.size;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drainBatch());
  }

  private drainBatch(): void {
    this.scheduled = false;
    let done = 0;
    for (const [connection, item] of this.pending) {
      if (done >= this.batchSize) break;
      this.pending.delete(connection);
      done += 1;
      this.metrics.queueTime.observe((performance.now() - item.enqueuedAt) / 1000);
      connection.push(item.changes, item.changeSeenAt);
    }
    if (this.pending.size > 0) this.schedule();
  }

  clear(): void {
    this.pending.clear();
  }
}
