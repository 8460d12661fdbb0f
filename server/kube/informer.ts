import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type V1ObjectMeta,
} from '@kubernetes/client-node';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { describeKubeError } from './kube-error.ts';
import type { InformedResource } from './resource.ts';

/**
 * What the informer's own cache keeps per object: its identity and version, and the reduced record
 * (the same object the kube cluster store holds). The full object is dropped as soon as it is read.
 */
interface ReducedObject<R> {
  metadata: V1ObjectMeta;
  key: string;
  record: R;
}

export type InformerState = 'listing' | 'synced' | 'failed' | 'stopped';

export interface InformerHandlers<R> {
  /** A complete listing: the first one, after a 410, on resync, and after every restart. */
  onListing(listing: ReadonlyMap<string, R>): void;
  onUpsert(key: string, record: R): void;
  onDelete(key: string): void;
  /** Listed (again); the watch follows. */
  onSynced(): void;
  /** The list or watch failed; a restart is scheduled with backoff. `reason` never holds a token. */
  onFailure(reason: string): void;
  /**
   * Handling one watch event threw (client-node would drop it silently): that event is lost, so a fresh
   * list follows after backoff to repair what the store missed. `reason` never holds a token.
   */
  onEventError?(reason: string): void;
}

export interface ResilientInformerOptions<R> {
  readonly kubeConfig: KubeConfig;
  readonly resource: InformedResource<R>;
  readonly handlers: InformerHandlers<R>;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  /** Objects per list page (client-go's pager uses 500). */
  readonly pageSize?: number;
  /** A list that takes longer fails (and is retried): an API server that accepts but never answers must not hang start(). */
  readonly listTimeoutMs?: number;
  /** Strings masked out of error messages (the kubeconfig's token). */
  readonly secrets?: readonly string[];
}

const MAX_LIST_PAGES = 10_000;

function metadataOf(object: unknown): V1ObjectMeta {
  const metadata =
    typeof object === 'object' && object !== null ? (object as { metadata?: V1ObjectMeta }).metadata : undefined;
  return metadata ?? {};
}

/** A client-node Watch that hands the informer reduced objects instead of full ones. */
class ReducingWatch<R> extends Watch {
  private readonly reduceObject: (object: unknown) => ReducedObject<R>;
  private readonly onCallbackError: (error: unknown) => void;

  constructor(
    config: KubeConfig,
    reduceObject: (object: unknown) => ReducedObject<R>,
    onCallbackError: (error: unknown) => void,
  ) {
    super(config);
    this.reduceObject = reduceObject;
    this.onCallbackError = onCallbackError;
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    // client-node's ListWatch does not ask for BOOKMARKs; without them a quiet resource's watch resumes from an
    // old resourceVersion, which etcd compaction turns into 410 Gone and a full re-list (client-go asks for them).
    return super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase: string, object: unknown) => {
        // client-node calls this inside a try/catch that ignores what it throws: say so instead; and
        // ListWatch's handler is async, so what our handlers throw arrives as a rejected promise.
        try {
          const handled: unknown =
            phase === 'ERROR'
              ? callback(phase, object)
              : phase === 'BOOKMARK'
                ? callback(phase, { metadata: { resourceVersion: metadataOf(object).resourceVersion } })
                : callback(phase, this.reduceObject(object));
          if (handled instanceof Promise) handled.catch((error: unknown) => this.onCallbackError(error));
        } catch (error: unknown) {
          this.onCallbackError(error);
        }
      },
      done,
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A client-node informer (ListWatch) for one resource that keeps itself alive: client-node stops an
 * informer on any error, so this one restarts it with a fresh list after an exponential, jittered
 * backoff. Every list (first, after 410 inside client-node, on relist, after a restart) is reported
 * whole through onListing so the store can be set to exactly what the API server holds.
 */
export class ResilientInformer<R> {
  private readonly options: ResilientInformerOptions<R>;
  private readonly backoff: Backoff;
  private current: ListWatch<ReducedObject<R> & { apiVersion?: string }> | undefined;
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private phase: 'list' | 'watch' = 'list';
  private settle: (() => void) | undefined;
  private stateValue: InformerState = 'listing';

  constructor(options: ResilientInformerOptions<R>) {
    this.options = options;
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF, options.random);
  }

  get state(): InformerState {
    return this.stateValue;
  }

  /** Starts listing and watching; resolves once the first list succeeded or failed (retries go on in the background). */
  start(): Promise<void> {
    return this.run();
  }

  /** A fresh list and watch replacing the current ones (periodic resync); a failed informer is already retrying. */
  async relist(): Promise<void> {
    if (this.stateValue !== 'synced') return;
    await this.run();
  }

  async stop(): Promise<void> {
    this.stateValue = 'stopped';
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.settle?.();
    const current = this.current;
    this.current = undefined;
    await current?.stop();
  }

  private run(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.stateValue === 'stopped') return Promise.resolve();
    const generation = ++this.generation;
    const previous = this.current;
    const settled = new Promise<void>((resolve) => {
      this.settle = resolve;
    });
    const live = (): boolean => generation === this.generation && this.stateValue !== 'stopped';
    const { resource, handlers } = this.options;
    const informer = new ListWatch<ReducedObject<R> & { apiVersion?: string }>(
      resource.path,
      new ReducingWatch(
        this.options.kubeConfig,
        (object) => this.reduce(object),
        (error) => live() && this.eventFailed(error),
      ),
      () => this.list(generation),
      false,
      resource.labelSelector,
      resource.fieldSelector,
    );
    informer.on('add', (object) => live() && handlers.onUpsert(object.key, object.record));
    informer.on('update', (object) => live() && handlers.onUpsert(object.key, object.record));
    informer.on('delete', (object) => live() && handlers.onDelete(object.key));
    informer.on('error', (error: unknown) => {
      if (live()) this.fail(error);
    });
    this.current = informer;
    void (async () => {
      // Errors of the replaced informer (its aborted watch) are ignored: it is no longer live.
      await previous?.stop();
      if (!live()) return;
      this.phase = 'list';
      try {
        await informer.start();
      } catch (error: unknown) {
        if (live()) this.fail(error);
      }
    })();
    return settled;
  }

  private reduce(object: unknown): ReducedObject<R> {
    const { name, namespace, resourceVersion } = metadataOf(object);
    return {
      metadata: {
        ...(name !== undefined ? { name } : {}),
        ...(namespace !== undefined ? { namespace } : {}),
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      },
      key: this.options.resource.key(object),
      record: this.options.resource.reduce(object),
    };
  }

  private async list(generation: number): Promise<KubernetesListObject<ReducedObject<R>>> {
    const { resource, handlers } = this.options;
    const pageSize = this.options.pageSize ?? 500;
    const timeoutMs = this.options.listTimeoutMs ?? 30_000;
    this.phase = 'list';
    const items: ReducedObject<R>[] = [];
    let resourceVersion = '';
    let continueToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const result = await withTimeout(
        resource.listPage(pageSize, continueToken),
        timeoutMs,
        `no answer within ${timeoutMs} ms`,
      );
      // The list's version is the first page's: watching from it replays anything later pages missed.
      if (page === 0) resourceVersion = result.resourceVersion;
      for (const object of result.items) items.push(this.reduce(object));
      continueToken = result.continueToken;
      if (continueToken === undefined) break;
    }
    if (generation !== this.generation) throw new Error('superseded by a newer list');
    // A good list ends a run of failures: the next one starts from the first delay again (issue 13).
    this.backoff.reset();
    handlers.onListing(new Map(items.map((item) => [item.key, item.record])));
    this.phase = 'watch';
    this.stateValue = 'synced';
    handlers.onSynced();
    this.settle?.();
    return { metadata: { resourceVersion }, items };
  }

  private eventFailed(error: unknown): void {
    const reason = describeKubeError(error, this.options.secrets);
    this.options.handlers.onEventError?.(
      `watch ${this.options.resource.resource}: an event could not be handled: ${reason}`,
    );
    this.fail(error);
  }

  private fail(error: unknown): void {
    if (this.stateValue === 'stopped' || this.retryTimer !== undefined) return;
    // A watch that breaks after a good list (a dropped connection) is retried before it is reported:
    // only a failing list says the API server is unreachable.
    const brokenWatch = this.stateValue === 'synced' && this.phase === 'watch';
    if (!brokenWatch) {
      this.stateValue = 'failed';
      this.options.handlers.onFailure(
        `${this.phase} ${this.options.resource.resource}: ${describeKubeError(error, this.options.secrets)}`,
      );
    }
    this.settle?.();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.run();
    }, this.backoff.next());
  }
}
