import type { Logger } from 'pino';
import { ResourceApi } from './api-handler.ts';
import { TokenRegistry, type Access } from './auth.ts';
import { KubeSimError, KubeSimErrorCode } from './errors.ts';
import { FaultState, type KubeSimFaults } from './faults.ts';
import { KubeSimHttpServer } from './http-server.ts';
import { renderKubeconfig, writeKubeconfigFile } from './kubeconfig.ts';
import { checkManifestObject, loadManifestDir, type SkippedManifest } from './manifests.ts';
import { findByKind, isStored, type ResourceType } from './resources.ts';
import { ObjectStore } from './store.ts';
import { createServingMaterial } from './tls.ts';
import { stringField, type KubeObject } from './types.ts';
import { WatchHub } from './watch.ts';

export type { KubeSimFaults } from './faults.ts';
export type { Access } from './auth.ts';
export type { KubeObject, JsonObject, JsonValue } from './types.ts';
export type { SkippedManifest } from './manifests.ts';
export { KubeSimError, KubeSimErrorCode } from './errors.ts';

export interface KubeSimOptions {
  /** Folder of *.yaml / *.yml manifests loaded (recursively) at start. */
  manifestsDir?: string;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** 0 (default) = ephemeral. */
  port?: number;
  /** Cluster, user and context name in the kubeconfig (default "kube-sim"). */
  clusterName?: string;
  /** Period of BOOKMARK events on watches that allow them (default 60 000 ms; make it short in tests). */
  bookmarkIntervalMs?: number;
  /** Watch events kept for resuming from a resourceVersion (default 1000). */
  historyLimit?: number;
  /** Fixed tokens (default: random). */
  adminToken?: string;
  readOnlyToken?: string;
  noRightsToken?: string;
  /** Debug logs of requests (never tokens); errors of the simulator itself. */
  logger?: Logger;
}

export interface KubeSim {
  /** https://host:port */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly clusterName: string;
  /** kubeconfig YAML for the admin token, CA inline. */
  readonly kubeconfig: string;
  readonly caCertPem: string;
  readonly adminToken: string;
  readonly readOnlyToken: string;
  readonly noRightsToken: string;
  /** Manifests of kinds the simulator does not serve, left out at start. */
  readonly skippedManifests: readonly SkippedManifest[];
  /** A kubeconfig like `kubeconfig` but for another token (e.g. readOnlyToken). */
  kubeconfigFor(token: string): string;
  /** Writes the kubeconfig (mode 0600); `token` defaults to the admin token. */
  writeKubeconfig(path: string, token?: string): Promise<void>;
  /** Creates or replaces (unconditionally) an object, as a controller would; returns the stored object. */
  apply(object: unknown): KubeObject;
  /** Deletes an object; false when it did not exist. `namespace` is ignored for cluster-scoped kinds. */
  remove(apiVersion: string, kind: string, namespace: string, name: string): boolean;
  get(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Objects of a kind, in one namespace or (undefined) all. */
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /** The current global resourceVersion. */
  resourceVersion(): string;
  /** Watches currently open. */
  openWatchCount(): number;
  /** TokenReview then answers `system:serviceaccount:<namespace>:<serviceAccount>` for `token`. */
  registerServiceAccountToken(token: string, namespace: string, serviceAccount: string, access?: Access): void;
  readonly faults: KubeSimFaults;
  /** Stops for good. */
  stop(): Promise<void>;
}

function storedType(apiVersion: string, kind: string): ResourceType {
  const type = findByKind(apiVersion, kind);
  if (!type || !isStored(type))
    throw new KubeSimError(KubeSimErrorCode.unknownKind, `kind ${kind} of ${apiVersion} is not served by kube-sim`);
  return type;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function checkOptions(options: KubeSimOptions): void {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new KubeSimError(KubeSimErrorCode.badOption, `port must be an integer 0..65535, got ${port}`);
  for (const [name, value] of [
    ['bookmarkIntervalMs', options.bookmarkIntervalMs],
    ['historyLimit', options.historyLimit],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new KubeSimError(KubeSimErrorCode.badOption, `${name} must be a positive integer, got ${value}`);
  }
}

/** Starts a Kubernetes API server simulator; see README.md beside this file. */
export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const clusterName = options.clusterName ?? 'kube-sim';
  const tokens = new TokenRegistry(options);
  const store = new ObjectStore({ historyLimit: options.historyLimit ?? 1000 });
  for (const namespace of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    store.ensureNamespace(namespace);
  const skippedManifests: SkippedManifest[] = [];
  if (options.manifestsDir !== undefined) {
    const loaded = await loadManifestDir(options.manifestsDir);
    for (const { object } of loaded.objects) upsert(store, object);
    skippedManifests.push(...loaded.skipped);
  }
  const faultState = new FaultState();
  const watches = new WatchHub(store, faultState, options.bookmarkIntervalMs ?? 60_000);
  const material = await createServingMaterial(host, clusterName);
  const faults: KubeSimFaults = {
    stop: () => server.close(),
    restart: async () => {
      await server.listen(port);
    },
    cutWatches: () => watches.cutAll(),
    delay: (ms) => faultState.setDelay(ms),
    force410: (count = 1) => faultState.forceWatch410(count),
    compact: () => store.compact(),
    reset: () => faultState.reset(),
  };
  const server = new KubeSimHttpServer({
    host,
    material,
    tokens,
    api: new ResourceApi(store, watches, tokens),
    faultState,
    faults: () => faults,
    logger: options.logger,
  });
  const port = await server.listen(options.port ?? 0);
  const url = `https://${formatHost(host)}:${port}`;
  const kubeconfigFor = (token: string): string =>
    renderKubeconfig({ name: clusterName, server: url, caCertPem: material.caCertPem, token });

  return {
    url,
    host,
    port,
    clusterName,
    kubeconfig: kubeconfigFor(tokens.adminToken),
    caCertPem: material.caCertPem,
    adminToken: tokens.adminToken,
    readOnlyToken: tokens.readOnlyToken,
    noRightsToken: tokens.noRightsToken,
    skippedManifests,
    kubeconfigFor,
    writeKubeconfig: (path, token = tokens.adminToken) => writeKubeconfigFile(path, kubeconfigFor(token)),
    apply: (object) => upsert(store, object),
    remove: (apiVersion, kind, namespace, name) => {
      const type = storedType(apiVersion, kind);
      if (!store.get(type, namespace, name)) return false;
      store.delete(type, namespace, name);
      return true;
    },
    get: (apiVersion, kind, namespace, name) => store.get(storedType(apiVersion, kind), namespace, name),
    list: (apiVersion, kind, namespace) =>
      store.list(storedType(apiVersion, kind), namespace).map(({ object }) => structuredClone(object)),
    resourceVersion: () => String(store.currentRevision()),
    openWatchCount: () => watches.openCount(),
    registerServiceAccountToken: (token, namespace, serviceAccount, access) =>
      tokens.registerServiceAccountToken(token, namespace, serviceAccount, access),
    faults,
    stop: () => {
      watches.cutAll();
      return server.shutdown();
    },
  };
}

function upsert(store: ObjectStore, input: unknown): KubeObject {
  const checked = checkManifestObject(input, 'apply()');
  if ('skip' in checked) throw new KubeSimError(KubeSimErrorCode.unknownKind, `apply(): ${checked.skip}`);
  const object = checked.object;
  const type = storedType(object.apiVersion, object.kind);
  const namespace = type.namespaced ? stringField(object.metadata, 'namespace') || 'default' : '';
  const { resourceVersion: _ignored, ...metadata } = object.metadata;
  const unconditional: KubeObject = { ...object, metadata: { ...metadata, name: object.metadata.name } };
  if (type.namespaced) unconditional.metadata['namespace'] = namespace;
  return store.get(type, namespace, object.metadata.name)
    ? store.update(type, unconditional)
    : store.create(type, unconditional);
}
