import type { RegistryChange, RegistryListener } from './events.ts';
import type { KubeClusterStore } from './kube-cluster-store.ts';
import type { KubeAccess, KubeClusterHealth, KubeClusterSource } from './kube-cluster-source.ts';

/**
 * A source synced before it is handed to the pipeline, so that adding it, or swapping it in for
 * an older source of the same kube cluster, is one rebuild with its full content: the pipeline never
 * sees it half-listed. start() then only hands over what arrived so far and resolves at once.
 */
export class PresyncedSource implements KubeClusterSource {
  readonly name: string;
  private readonly inner: KubeClusterSource;
  private buffered: RegistryChange[] | undefined = [];
  private listener: RegistryListener | undefined;

  constructor(inner: KubeClusterSource) {
    this.inner = inner;
    this.name = inner.name;
  }

  get network(): string | undefined {
    return this.inner.network;
  }

  get store(): KubeClusterStore {
    return this.inner.store;
  }

  kubeAccess(): KubeAccess | undefined {
    return this.inner.kubeAccess?.();
  }

  /** Runs the inner source's first sync (or its failure, see health()). */
  presync(): Promise<void> {
    return this.inner.start((changes) => {
      if (this.listener) this.listener(changes);
      else this.buffered?.push(...changes);
    });
  }

  async start(listener: RegistryListener): Promise<void> {
    this.listener = listener;
    const buffered = this.buffered ?? [];
    this.buffered = undefined;
    if (buffered.length > 0) listener(buffered);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  health(): KubeClusterHealth {
    return this.inner.health();
  }
}
