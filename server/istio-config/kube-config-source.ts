import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { IstioKind } from '../../model/istio/types.ts';
import { errorMessage } from '../../common/error-message.ts';
import type { BackoffOptions } from '../kube/backoff.ts';
import { ResilientInformer } from '../kube/informer.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import type { KubeconfigPolicy } from '../kube/kubeconfig-policy.ts';
import { customResource } from '../kube/resource.ts';
import type { ConfigSourceHealth, IstioConfigSource, RawConfigObject } from './config-source.ts';
import { unsupportedObjectOf, type UnsupportedObject } from './unsupported-kinds.ts';

export interface KubeConfigSourceOptions {
  /** The kube cluster's name from meshpilot.yaml (clusters[].name). */
  readonly kubeCluster: string;
  readonly kubeconfigPath: string;
  /** What the kubeconfig may use beyond inline credentials (clusters[].kubeconfigAllow). */
  readonly policy?: KubeconfigPolicy;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  /** How long start() waits for the first list of every kind before going on without it (an API server that does not answer). */
  readonly firstSyncTimeoutMs?: number;
  /**
   * A member kube cluster (not a config source): only its WorkloadEntries are watched, as istiod's
   * cross-cluster WorkloadEntry controller does, scoped to it; kinds meshpilot does not translate are not
   * watched (istiod reads none there).
   */
  readonly member?: boolean;
}

/** The Istio resources meshpilot translates, watched across all namespaces at their v1 API. */
export const ISTIO_RESOURCES: readonly { kind: IstioKind; group: string; plural: string }[] = [
  { kind: 'VirtualService', group: 'networking.istio.io', plural: 'virtualservices' },
  { kind: 'DestinationRule', group: 'networking.istio.io', plural: 'destinationrules' },
  { kind: 'ServiceEntry', group: 'networking.istio.io', plural: 'serviceentries' },
  { kind: 'WorkloadEntry', group: 'networking.istio.io', plural: 'workloadentries' },
  { kind: 'Sidecar', group: 'networking.istio.io', plural: 'sidecars' },
  { kind: 'PeerAuthentication', group: 'security.istio.io', plural: 'peerauthentications' },
  { kind: 'AuthorizationPolicy', group: 'security.istio.io', plural: 'authorizationpolicies' },
  { kind: 'Telemetry', group: 'telemetry.istio.io', plural: 'telemetries' },
  { kind: 'Gateway', group: 'networking.istio.io', plural: 'gateways' },
  { kind: 'WorkloadGroup', group: 'networking.istio.io', plural: 'workloadgroups' },
];

/**
 * Kinds istiod reads and meshpilot does not translate, watched only to say so (/debug/configz, one log
 * line per object). Their CRDs may well be absent: a failing watch of one is logged at debug and changes
 * neither the source's health nor its first sync.
 */
export const UNSUPPORTED_RESOURCES: readonly { kind: string; group: string; version: string; plural: string }[] = [
  { kind: 'EnvoyFilter', group: 'networking.istio.io', version: 'v1alpha3', plural: 'envoyfilters' },
  { kind: 'RequestAuthentication', group: 'security.istio.io', version: 'v1', plural: 'requestauthentications' },
  { kind: 'WasmPlugin', group: 'extensions.istio.io', version: 'v1alpha1', plural: 'wasmplugins' },
  { kind: 'Gateway', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' },
  { kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
  { kind: 'GRPCRoute', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'grpcroutes' },
];

/** One unsupported kind's informer and the objects it holds. */
interface UnsupportedWatch {
  readonly kind: string;
  readonly apiVersion: string;
  readonly informer: ResilientInformer<KubernetesObject>;
  readonly objects: Map<string, KubernetesObject>;
}

const KUBECONFIG_INVALID = 'MESHPILOT_ERR_KUBECONFIG_INVALID';

/** One kind's informer and what it holds. */
interface KindWatch {
  readonly kind: IstioKind;
  readonly resource: string;
  readonly informer: ResilientInformer<KubernetesObject>;
  readonly objects: Map<string, KubernetesObject>;
  lastError: string | undefined;
  /** A member kube cluster without the kind's CRD (404): it has none of them, which is not a failure. */
  absent: boolean;
}

/** The list or watch of a kind answered 404: its CRD is not installed. */
function crdAbsent(reason: string): boolean {
  return /: 404 /.test(`${reason} `);
}

/** Istio config from a config kube cluster's API server: one resilient informer (server/kube) per kind. */
export class KubeConfigSource implements IstioConfigSource {
  readonly description: string;
  private readonly options: KubeConfigSourceOptions;
  private informers: KindWatch[] = [];
  private unsupportedWatches: UnsupportedWatch[] = [];
  private loadError: string | undefined;
  private syncedAt: string | undefined;

  constructor(options: KubeConfigSourceOptions) {
    this.options = options;
    this.description = options.member
      ? `WorkloadEntries of cluster ${options.kubeCluster}`
      : `cluster ${options.kubeCluster}`;
  }

  async start(onChange: () => void): Promise<void> {
    let kubeConfig: KubeConfig;
    let credentials: readonly string[];
    try {
      ({ kubeConfig, credentials } = loadKubeConfig({ path: this.options.kubeconfigPath }, this.options.policy));
    } catch (error: unknown) {
      this.loadError = `${KUBECONFIG_INVALID}: cannot use kubeconfig ${this.options.kubeconfigPath}: ${errorMessage(error)}`;
      this.options.logger.error(
        { kubeCluster: this.options.kubeCluster, code: KUBECONFIG_INVALID, error: this.loadError },
        this.options.member ? 'WorkloadEntries of member cluster not watched' : 'Istio config cluster not watched',
      );
      return;
    }
    const logger = this.options.logger.child({ kubeCluster: this.options.kubeCluster });
    const member = this.options.member === true;
    const resources = member ? ISTIO_RESOURCES.filter(({ kind }) => kind === 'WorkloadEntry') : ISTIO_RESOURCES;
    this.informers = resources.map(({ kind, group, plural }) =>
      this.watchKind(kind, customResource(kubeConfig, { group, version: 'v1', plural }), kubeConfig, credentials, {
        logger,
        onChange,
      }),
    );
    this.unsupportedWatches = (member ? [] : UNSUPPORTED_RESOURCES).map((resource) =>
      this.watchUnsupported(resource, kubeConfig, credentials, { logger, onChange }),
    );
    for (const { informer } of this.unsupportedWatches) void informer.start();
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.firstSyncTimeoutMs ?? 10_000);
    });
    await Promise.race([Promise.all(this.informers.map(({ informer }) => informer.start())), timeout]);
    clearTimeout(timer);
    if (this.informers.every(({ informer, absent }) => absent || informer.state === 'synced')) {
      this.syncedAt = new Date().toISOString();
      logger.info({ objects: this.current().length, ms: Date.now() - started }, 'Istio config cluster synced');
    }
    onChange();
  }

  current(): readonly RawConfigObject[] {
    const out: RawConfigObject[] = [];
    for (const { kind, objects } of this.informers) {
      for (const object of objects.values()) {
        const name = object.metadata?.name ?? '';
        const namespace = object.metadata?.namespace ?? 'default';
        out.push({
          kind,
          namespace,
          name,
          version: object.metadata?.resourceVersion ?? '',
          origin: { type: 'kube', kubeCluster: this.options.kubeCluster },
          object,
          ...(this.options.member ? { scope: this.options.kubeCluster } : {}),
        });
      }
    }
    return out.sort(
      (a, b) =>
        (a.kind === b.kind ? 0 : a.kind < b.kind ? -1 : 1) ||
        compareText(a.namespace, b.namespace) ||
        compareText(a.name, b.name),
    );
  }

  unsupported(): readonly UnsupportedObject[] {
    const origin = { type: 'kube', kubeCluster: this.options.kubeCluster } as const;
    const out: UnsupportedObject[] = [];
    for (const { kind, apiVersion, objects } of this.unsupportedWatches)
      for (const key of [...objects.keys()].sort(compareText)) {
        const object = objects.get(key);
        const found = object && unsupportedObjectOf({ ...object, apiVersion, kind }, origin);
        if (found) out.push(found);
      }
    return out;
  }

  health(): ConfigSourceHealth {
    const states = this.informers.map(({ informer, absent }) => (absent ? 'synced' : informer.state));
    const errors = this.informers.flatMap((watch) => (watch.lastError === undefined ? [] : [watch.lastError]));
    const state =
      this.loadError !== undefined || states.includes('failed')
        ? 'unreachable'
        : states.every((s) => s === 'synced')
          ? 'synced'
          : 'syncing';
    if (state === 'synced') this.syncedAt ??= new Date().toISOString();
    const lastError = this.loadError ?? errors[0];
    return {
      source: this.description,
      state,
      ...(this.syncedAt !== undefined ? { syncedAt: this.syncedAt } : {}),
      ...(lastError !== undefined ? { lastError } : {}),
      ...(errors.length > 1 ? { errors } : {}),
      objects: this.informers.reduce((sum, { objects }) => sum + objects.size, 0),
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers, ...this.unsupportedWatches].map(({ informer }) => informer.stop()));
  }

  private watchUnsupported(
    { kind, group, version, plural }: (typeof UNSUPPORTED_RESOURCES)[number],
    kubeConfig: KubeConfig,
    secrets: readonly string[],
    { logger, onChange }: { logger: Logger; onChange: () => void },
  ): UnsupportedWatch {
    const objects = new Map<string, KubernetesObject>();
    const resource = customResource(kubeConfig, { group, version, plural });
    return {
      kind,
      apiVersion: `${group}/${version}`,
      objects,
      informer: new ResilientInformer({
        kubeConfig,
        resource,
        secrets,
        ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
        handlers: {
          onListing: (listing) => {
            const had = objects.size;
            objects.clear();
            for (const [key, object] of listing) objects.set(key, object);
            if (had + objects.size > 0) onChange();
          },
          onUpsert: (key, object) => {
            objects.set(key, object);
            onChange();
          },
          onDelete: (key) => {
            if (objects.delete(key)) onChange();
          },
          onSynced: () => {},
          // Most clusters lack some of these CRDs (404): nothing to report, and no reason to call the source unhealthy.
          onFailure: (reason) =>
            logger.debug({ resource: resource.resource, error: reason }, 'unsupported kind not watched'),
        },
      }),
    };
  }

  private watchKind(
    kind: IstioKind,
    resource: ReturnType<typeof customResource>,
    kubeConfig: KubeConfig,
    secrets: readonly string[],
    { logger, onChange }: { logger: Logger; onChange: () => void },
  ): KindWatch {
    const objects = new Map<string, KubernetesObject>();
    const watch: KindWatch = {
      kind,
      resource: resource.resource,
      objects,
      lastError: undefined,
      absent: false,
      informer: new ResilientInformer({
        kubeConfig,
        resource,
        secrets,
        ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
        handlers: {
          onListing: (listing) => {
            objects.clear();
            for (const [key, object] of listing) objects.set(key, object);
            onChange();
          },
          onUpsert: (key, object) => {
            objects.set(key, object);
            onChange();
          },
          onDelete: (key) => {
            if (objects.delete(key)) onChange();
          },
          onSynced: () => {
            watch.lastError = undefined;
            watch.absent = false;
          },
          onFailure: (reason) => {
            // Istio cannot count on its CRDs in a member kube cluster either: without them it has no
            // WorkloadEntries there, and the watch keeps retrying (with backoff) until they are installed.
            if (this.options.member === true && crdAbsent(reason)) {
              watch.absent = true;
              if (objects.size > 0) {
                objects.clear();
                onChange();
              }
              logger.debug({ resource: resource.resource, error: reason }, 'member cluster has no such CRD');
              return;
            }
            watch.lastError = reason;
            logger.warn({ resource: resource.resource, error: reason }, 'Istio config watch failed; restarting');
          },
        },
      }),
    };
    return watch;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
