import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { RegistryChange } from './events.ts';

/** One registry object with values dropped as invalid, as /debug/registryz lists it. */
export interface DroppedInput {
  readonly kubeCluster: string;
  readonly kind: string;
  readonly key: string;
  readonly dropped: readonly string[];
}

/**
 * Registry objects whose invalid values were dropped (issue 13 point 3): each logged once (again
 * only if what was dropped changes), counted, and listed until the object is fixed or deleted.
 */
export class DroppedInputs {
  private readonly current = new Map<string, DroppedInput>();
  private readonly logger: Logger;
  private readonly counter: Counter<'kubeCluster' | 'kind'>;

  constructor(logger: Logger, counter: Counter<'kubeCluster' | 'kind'>) {
    this.logger = logger;
    this.counter = counter;
  }

  observe(changes: readonly RegistryChange[]): void {
    for (const change of changes) {
      const id = `${change.kubeCluster}|${change.kind}|${change.key}`;
      const dropped = change.op === 'upsert' && 'dropped' in change.record ? change.record.dropped : undefined;
      if (dropped === undefined || dropped.length === 0) {
        this.current.delete(id);
        continue;
      }
      const previous = this.current.get(id);
      if (previous && previous.dropped.join('\n') === dropped.join('\n')) continue;
      const entry = { kubeCluster: change.kubeCluster, kind: change.kind, key: change.key, dropped };
      this.current.set(id, entry);
      this.counter.inc({ kubeCluster: change.kubeCluster, kind: change.kind });
      this.logger.warn(
        { ...entry, code: 'MESHPILOT_WARN_REGISTRY_INPUT_DROPPED' },
        'registry object has invalid values: they were dropped',
      );
    }
  }

  forget(kubeCluster: string): void {
    for (const [id, entry] of this.current) if (entry.kubeCluster === kubeCluster) this.current.delete(id);
  }

  list(): DroppedInput[] {
    return [...this.current.values()];
  }
}
