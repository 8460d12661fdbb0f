import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { errorMessage } from '../../common/error-message.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { ResilientInformer } from './informer.ts';
import { describeKubeError } from './kube-error.ts';
import { clusterScopedKey, namespacedKey, pageOf, type InformedResource } from './resource.ts';

/** istiod's names (pilot/pkg/features CACertConfigMapName, constants.CACertNamespaceConfigMapDataName). */
export const ROOT_CERT_CONFIGMAP = 'istio-ca-root-cert';
export const ROOT_CERT_KEY = 'root-cert.pem';
export const ROOT_CERT_CONFIGMAP_LABELS: Readonly<Record<string, string>> = { 'istio.io/config': 'true' };
/** inject.IgnoredNamespaces without kube-system, as istiod's namespace controller. */
export const ROOT_CERT_IGNORED_NAMESPACES: ReadonlySet<string> = new Set([
  'kube-public',
  'kube-node-lease',
  'local-path-storage',
]);
export const ROOT_CERT_ERROR_CODE = 'MESHPILOT_ERR_ROOT_CERT_CONFIGMAP';

/** Attempts per namespace and event before it waits for the next event or listing (istiod: 5). */
const MAX_ATTEMPTS = 5;

interface NamespaceRecord {
  readonly terminating: boolean;
}

interface ConfigMapRecord {
  readonly rootCert: string | undefined;
  readonly managed: boolean;
}

export interface RootCertConfigMapsOptions {
  readonly kubeCluster: string;
  readonly kubeConfig: KubeConfig;
  /** Credentials of the kubeconfig, masked out of messages. */
  readonly credentials: readonly string[];
  readonly rootCertPem: string;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
}

function statusOf(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

function reduceNamespace(object: unknown): NamespaceRecord {
  const namespace = object as { metadata?: { deletionTimestamp?: unknown }; status?: { phase?: unknown } };
  return {
    terminating: namespace.metadata?.deletionTimestamp != null || namespace.status?.phase === 'Terminating',
  };
}

function reduceConfigMap(object: unknown): ConfigMapRecord {
  const configMap = object as V1ConfigMap;
  return {
    rootCert: configMap.data?.[ROOT_CERT_KEY],
    managed: configMap.metadata?.labels?.['istio.io/config'] === 'true',
  };
}

/**
 * What istiod's namespace controller does, for one member kube cluster: the `istio-ca-root-cert`
 * ConfigMap (key `root-cert.pem` = meshpilot's root, label istio.io/config=true) in every namespace,
 * created when a namespace appears and put back when it is edited or deleted. leave() also deletes
 * the ConfigMaps holding meshpilot's root, for a kube cluster meshpilot no longer serves.
 */
export class RootCertConfigMaps {
  private readonly options: RootCertConfigMapsOptions;
  private readonly core: CoreV1Api;
  private readonly namespaces = new Map<string, NamespaceRecord>();
  private readonly configMaps = new Map<string, ConfigMapRecord>();
  private readonly informers: ResilientInformer<NamespaceRecord | ConfigMapRecord>[] = [];
  private readonly dirty = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private draining: Promise<void> | undefined;
  private forbiddenLogged = false;
  private stopped = false;
  /** Namespaces listed and ConfigMaps listed at least once: reconciling before both would create blindly. */
  private listed = { namespaces: false, configMaps: false };

  constructor(options: RootCertConfigMapsOptions) {
    this.options = options;
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Starts both informers; resolves once each listed (or failed) once. Reconciling goes on in the background. */
  async start(): Promise<void> {
    const core = this.core;
    const namespaces: InformedResource<NamespaceRecord> = {
      resource: 'namespaces',
      path: '/api/v1/namespaces',
      listPage: async (limit, token) =>
        pageOf(await core.listNamespace({ limit, ...(token ? { _continue: token } : {}) })),
      key: clusterScopedKey,
      reduce: reduceNamespace,
    };
    const fieldSelector = `metadata.name=${ROOT_CERT_CONFIGMAP}`;
    const configMaps: InformedResource<ConfigMapRecord> = {
      resource: 'configmaps',
      path: '/api/v1/configmaps',
      fieldSelector,
      listPage: async (limit, token) =>
        pageOf(
          await core.listConfigMapForAllNamespaces({ fieldSelector, limit, ...(token ? { _continue: token } : {}) }),
        ),
      key: namespacedKey,
      reduce: reduceConfigMap,
    };
    const nsInformer = this.informer(namespaces, this.namespaces, 'namespaces', (key) => key);
    const cmInformer = this.informer(configMaps, this.configMaps, 'configMaps', (key) => key.split('/')[0] ?? '');
    await Promise.all([nsInformer.start(), cmInformer.start()]);
  }

  /** Stops watching; the ConfigMaps stay (another replica, or this one restarted, keeps them). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    await Promise.all(this.informers.map((informer) => informer.stop()));
    await this.draining;
  }

  /** Stops, then deletes every `istio-ca-root-cert` that holds meshpilot's root (the kube cluster left the mesh). */
  async leave(): Promise<void> {
    await this.stop();
    const { kubeCluster, rootCertPem, logger, credentials } = this.options;
    let deleted = 0;
    try {
      const list = await this.core.listConfigMapForAllNamespaces({
        fieldSelector: `metadata.name=${ROOT_CERT_CONFIGMAP}`,
      });
      for (const configMap of list.items) {
        const namespace = configMap.metadata?.namespace;
        if (namespace === undefined || configMap.data?.[ROOT_CERT_KEY] !== rootCertPem) continue;
        await this.core.deleteNamespacedConfigMap({ name: ROOT_CERT_CONFIGMAP, namespace }).catch((error: unknown) => {
          if (statusOf(error) !== 404) throw error;
        });
        deleted += 1;
      }
      logger.info({ kubeCluster, deleted }, 'kube cluster left: istio-ca-root-cert ConfigMaps removed');
    } catch (error: unknown) {
      logger.warn(
        { kubeCluster, code: ROOT_CERT_ERROR_CODE, reason: describeKubeError(error, credentials) },
        'kube cluster left: could not remove its istio-ca-root-cert ConfigMaps',
      );
    }
  }

  private informer<R extends NamespaceRecord | ConfigMapRecord>(
    resource: InformedResource<R>,
    store: Map<string, R>,
    which: 'namespaces' | 'configMaps',
    namespaceOf: (key: string) => string,
  ): ResilientInformer<R> {
    const informer = new ResilientInformer<R>({
      kubeConfig: this.options.kubeConfig,
      resource,
      secrets: this.options.credentials,
      backoff: this.options.backoff ?? DEFAULT_BACKOFF,
      handlers: {
        onListing: (listing) => {
          const before = [...store.keys()];
          store.clear();
          for (const [key, record] of listing) store.set(key, record);
          const wasReady = this.listed.namespaces && this.listed.configMaps;
          this.listed[which] = true;
          for (const key of [...before, ...listing.keys()]) this.mark(namespaceOf(key));
          // Marks made before both lists were in were not reconciled: once both are, every namespace is.
          if (!wasReady && this.listed.namespaces && this.listed.configMaps)
            for (const namespace of this.namespaces.keys()) this.mark(namespace);
        },
        onUpsert: (key, record) => {
          store.set(key, record);
          this.mark(namespaceOf(key));
        },
        onDelete: (key) => {
          store.delete(key);
          this.mark(namespaceOf(key));
        },
        onSynced: () => {},
        onFailure: (reason) =>
          this.options.logger.warn(
            { kubeCluster: this.options.kubeCluster, code: ROOT_CERT_ERROR_CODE, reason },
            'istio-ca-root-cert: cannot watch the kube cluster; retrying',
          ),
      },
    });
    this.informers.push(informer as unknown as ResilientInformer<NamespaceRecord | ConfigMapRecord>);
    return informer;
  }

  private mark(namespace: string): void {
    if (this.stopped || namespace === '') return;
    this.attempts.delete(namespace);
    this.dirty.add(namespace);
    this.drain();
  }

  private drain(): void {
    if (this.draining !== undefined || !this.listed.namespaces || !this.listed.configMaps) return;
    this.draining = (async () => {
      // Bounded: each pass takes one namespace out of the set; a namespace comes back only by an event or a retry timer.
      for (let i = 0; i < 1_000_000 && this.dirty.size > 0 && !this.stopped; i += 1) {
        const namespace = this.dirty.values().next().value as string;
        this.dirty.delete(namespace);
        await this.reconcile(namespace);
      }
    })().finally(() => {
      this.draining = undefined;
      if (this.dirty.size > 0 && !this.stopped) this.drain();
    });
  }

  private async reconcile(namespace: string): Promise<void> {
    const record = this.namespaces.get(namespace);
    if (record === undefined || record.terminating || ROOT_CERT_IGNORED_NAMESPACES.has(namespace)) return;
    const current = this.configMaps.get(`${namespace}/${ROOT_CERT_CONFIGMAP}`);
    if (current?.rootCert === this.options.rootCertPem) return;
    try {
      if (current === undefined) await this.create(namespace);
      else await this.update(namespace);
      this.attempts.delete(namespace);
    } catch (error: unknown) {
      this.failed(namespace, error);
    }
  }

  private async create(namespace: string): Promise<void> {
    try {
      await this.core.createNamespacedConfigMap({
        namespace,
        body: {
          metadata: { name: ROOT_CERT_CONFIGMAP, namespace, labels: { ...ROOT_CERT_CONFIGMAP_LABELS } },
          data: { [ROOT_CERT_KEY]: this.options.rootCertPem },
        },
      });
    } catch (error: unknown) {
      const status = statusOf(error);
      // 409: made meanwhile (the watch brings it, then it is checked); 404: the namespace went away.
      if (status === 409 || status === 404) return;
      throw error;
    }
  }

  /** Istio's updateDataInConfigMap: other data keys and labels stay, root-cert.pem is set. */
  private async update(namespace: string): Promise<void> {
    const configMap = await this.core.readNamespacedConfigMap({ name: ROOT_CERT_CONFIGMAP, namespace });
    configMap.data = { ...configMap.data, [ROOT_CERT_KEY]: this.options.rootCertPem };
    await this.core.replaceNamespacedConfigMap({ name: ROOT_CERT_CONFIGMAP, namespace, body: configMap });
  }

  private failed(namespace: string, error: unknown): void {
    const { kubeCluster, logger, credentials } = this.options;
    const status = statusOf(error);
    const reason = status === undefined ? errorMessage(error) : describeKubeError(error, credentials);
    if (status === 403) {
      // As istiod: without the permission, skip (deploy/member-cluster/ grants it); say so once per kube cluster.
      if (!this.forbiddenLogged)
        logger.warn(
          { kubeCluster, namespace, code: ROOT_CERT_ERROR_CODE, reason },
          'istio-ca-root-cert: not allowed to write ConfigMaps in this kube cluster; skipped',
        );
      this.forbiddenLogged = true;
      return;
    }
    const attempts = (this.attempts.get(namespace) ?? 0) + 1;
    this.attempts.set(namespace, attempts);
    logger.warn(
      { kubeCluster, namespace, attempts, code: ROOT_CERT_ERROR_CODE, reason },
      attempts < MAX_ATTEMPTS
        ? 'istio-ca-root-cert: write failed; retrying'
        : 'istio-ca-root-cert: write failed; gave up',
    );
    if (attempts >= MAX_ATTEMPTS || this.stopped) return;
    const timer = setTimeout(
      () => {
        this.retryTimers.delete(timer);
        if (this.stopped) return;
        this.dirty.add(namespace);
        this.drain();
      },
      100 * 2 ** attempts,
    );
    timer.unref();
    this.retryTimers.add(timer);
  }
}
