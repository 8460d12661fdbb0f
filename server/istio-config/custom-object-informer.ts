import {
  CustomObjectsApi,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from '../kube/backoff.ts';
import { describeKubeError } from '../kube/kube-error.ts';

export interface CustomObjectInformerOptions {
  readonly kubeConfig: KubeConfig;
  readonly group: string;
  readonly version: string;
  /** Plural resource name ("destinationrules"). */
  readonly plural: string;
  readonly logger: Logger;
  /** Called after any add, update or delete (including those a re-list finds). */
  readonly onChange: () => void;
  readonly backoff?: BackoffOptions;
  /** Strings to mask in error messages (the kubeconfig's token). */
  readonly secrets?: readonly string[];
}

export type InformerState = 'syncing' | 'synced' | 'unreachable';

function isListObject(value: unknown): value is KubernetesListObject<KubernetesObject> {
  return typeof value === 'object' && value !== null && Array.isArray((value as { items?: unknown }).items);
}

/**
 * A client-node informer on one custom resource across all namespaces that keeps itself alive:
 * client-node's informer stops on any error (dropped watch, failed list), so this one restarts it
 * with exponential backoff. A restart resumes the watch from the last resourceVersion; after a 410
 * Gone the informer re-lists and reports the objects deleted meanwhile.
 */
export class CustomObjectInformer {
  private readonly options: CustomObjectInformerOptions;
  private readonly informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  private readonly backoff: Backoff;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private listed = false;
  private failedSince: string | undefined;
  private lastErrorText: string | undefined;
  private firstResult: (() => void) | undefined;
  private errorCount = 0;

  constructor(options: CustomObjectInformerOptions) {
    this.options = options;
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    const { group, version, plural } = options;
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const result: unknown = await api.listClusterCustomObject({ group, version, plural });
      if (!isListObject(result)) throw new Error(`list of ${plural}.${group} returned no items array`);
      this.listed = true;
      this.failedSince = undefined;
      this.lastErrorText = undefined;
      return result;
    };
    this.informer = makeInformer(options.kubeConfig, `/apis/${group}/${version}/${plural}`, list);
    this.informer.on('change', () => {
      this.failedSince = undefined;
      options.onChange();
    });
    this.informer.on('error', (error: unknown) => this.onError(error));
  }

  get resource(): string {
    return `${this.options.plural}.${this.options.group}`;
  }

  /** Resolves once the first list succeeded or failed; failures keep retrying in the background. */
  async start(): Promise<void> {
    const first = new Promise<void>((resolve) => {
      this.firstResult = resolve;
    });
    void this.run();
    await first;
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    const errorsBefore = this.errorCount;
    try {
      await this.informer.start();
    } catch (error: unknown) {
      this.onError(error);
      return;
    }
    // start() resolves once the watch request is open; no error meanwhile = connected again.
    if (this.errorCount === errorsBefore) this.failedSince = undefined;
    if (this.listed) this.settleFirst();
  }

  private settleFirst(): void {
    this.firstResult?.();
    this.firstResult = undefined;
  }

  private onError(error: unknown): void {
    if (this.stopped) return;
    this.errorCount += 1;
    this.lastErrorText = describeKubeError(error, this.options.secrets ?? []);
    this.failedSince ??= new Date().toISOString();
    const delay = this.backoff.next();
    this.options.logger.warn(
      { resource: this.resource, error: this.lastErrorText, retryInMs: delay },
      'Istio config watch failed; restarting',
    );
    this.settleFirst();
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.run(), delay);
  }

  objects(): readonly KubernetesObject[] {
    return this.informer.list();
  }

  state(): InformerState {
    if (this.failedSince !== undefined) return 'unreachable';
    return this.listed ? 'synced' : 'syncing';
  }

  lastError(): string | undefined {
    return this.lastErrorText;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.settleFirst();
    await this.informer.stop();
  }
}
