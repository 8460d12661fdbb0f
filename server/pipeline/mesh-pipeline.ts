import type { Logger } from 'pino';
import { buildSnapshotIncremental, type SnapshotMemo } from '../../model/build-snapshot.ts';
import type { MeshNetworksSpec } from '../../model/inputs.ts';
import { EMPTY_ISTIO_CONFIG } from '../../model/istio/config-set.ts';
import type { IstioConfigSet } from '../../model/istio/types.ts';
import { isEmptyDelta, type SnapshotDelta } from '../../model/snapshot-delta.ts';
import type { MeshConfigDefaults, MeshSnapshot, NodeRecord, OptIns } from '../../model/types.ts';
import type { XdsCache } from '../cache/xds-cache.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { DroppedInputs } from '../registry/dropped-inputs.ts';
import type { RegistryChange } from '../registry/events.ts';
import type { KubeClusterHealth, KubeClusterSource } from '../registry/kube-cluster-source.ts';
import { gatewayHostnames } from '../../model/networks.ts';
import type { KubeClusterObjects } from '../../model/inputs.ts';
import { GatewayNameCache, type GatewayDnsOptions } from '../gateway-dns/gateway-name-cache.ts';
import { Debouncer, type DebounceOptions } from './debouncer.ts';

export interface MeshSettings {
  readonly domainSuffix: string;
  readonly trustDomain: string;
  readonly meshNetworks: MeshNetworksSpec;
  /** Configured network per kube cluster name. */
  readonly kubeClusterNetworks: Readonly<Record<string, string | undefined>>;
  /** meshpilot.yaml's `mesh:` (Istio MeshConfig fields). */
  readonly meshConfig?: MeshConfigDefaults;
  /** meshpilot.yaml's `optIn:` (improvements over Istio's output). */
  readonly optIn?: OptIns;
}

/**
 * Who hears of each change the pipeline makes, after its snapshot is in the cache: the ADS server,
 * which pushes to every stream what the change touched.
 */
export interface MeshChangeSubscriber {
  /** `changeSeenAt`: performance.now() when the first registry event of the change arrived. */
  publish(change: SnapshotDelta, changeSeenAt?: number): void;
}

export interface MeshPipelineOptions {
  readonly settings: MeshSettings;
  readonly cache: XdsCache;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly debounce: DebounceOptions;
  readonly subscriber: MeshChangeSubscriber;
  /** How gateway hostnames are resolved (meshpilot.yaml `gatewayDns:`); absent = Istio's defaults. */
  readonly gatewayDns?: GatewayDnsOptions;
}

/** Istio's gateway name cache settings (pilot/pkg/model/network.go): system DNS, TTL 30 s–1 h, 5 s timeout. */
export const ISTIO_GATEWAY_DNS: GatewayDnsOptions = {
  servers: [],
  minTtlMs: 30_000,
  maxTtlMs: 3_600_000,
  timeoutMs: 5_000,
};

/** Istio's pilot_k8s_reg_events type label per kube kind. */
const ISTIO_REGISTRY_TYPE: Readonly<Record<RegistryChange['kind'], string>> = {
  Service: 'Services',
  EndpointSlice: 'EndpointSlice',
  Pod: 'Pods',
  Node: 'Nodes',
  Namespace: 'Namespaces',
};
/** Istio's pilot_push_triggers reason per kube kind (a Service changes the service, the rest endpoints). */
const PUSH_TRIGGER: Readonly<Record<RegistryChange['kind'], string>> = {
  Service: 'service',
  EndpointSlice: 'endpoint',
  Pod: 'endpoint',
  Node: 'endpoint',
  Namespace: 'endpoint',
};

/** Debouncer item standing for "the Istio config set changed" beside registry changes. */
const ISTIO_CONFIG_CHANGED = 'istio-config-changed';
/** Debouncer item standing for "a gateway hostname resolved to other addresses". */
const GATEWAY_DNS_CHANGED = 'gateway-dns-changed';
/** Debouncer item standing for "the draining kube clusters changed". */
const DRAINING_CHANGED = 'draining-changed';
type PipelineItem = RegistryChange | typeof ISTIO_CONFIG_CHANGED | typeof GATEWAY_DNS_CHANGED | typeof DRAINING_CHANGED;

/**
 * registry → model → cache: collects change events from every kube cluster, debounces them,
 * builds an immutable snapshot and hands it to the cache, then lets the server push.
 */
export class MeshPipeline {
  private readonly options: MeshPipelineOptions;
  private readonly sources = new Map<string, KubeClusterSource>();
  private readonly debouncer: Debouncer<PipelineItem>;
  private snapshotCount = 0;
  private current: MeshSnapshot | undefined;
  /** Lets the next build reuse every service whose input records did not change. */
  private memo: SnapshotMemo | undefined;
  private istioConfig: IstioConfigSet = EMPTY_ISTIO_CONFIG;
  /** Kube clusters whose endpoints go behind healthy ones (karmada.drainNotReady), with why. */
  private draining: ReadonlyMap<string, string> = new Map();
  /** Registry objects with invalid values dropped (logged once, counted, on /debug/registryz). */
  readonly droppedInputs: DroppedInputs;
  /** The gateway hostnames and what they resolve to (on /debug/gatewaydnsz). */
  readonly gatewayNames: GatewayNameCache;

  constructor(options: MeshPipelineOptions) {
    this.options = options;
    this.droppedInputs = new DroppedInputs(options.logger, options.metrics.registryInputsDropped);
    this.debouncer = new Debouncer(options.debounce, (batch, firstAt) => {
      options.metrics.debounceTime.observe((performance.now() - firstAt) / 1000);
      this.rebuild(
        batch.filter(
          (item): item is RegistryChange =>
            item !== ISTIO_CONFIG_CHANGED && item !== GATEWAY_DNS_CHANGED && item !== DRAINING_CHANGED,
        ),
        firstAt,
      );
    });
    this.gatewayNames = new GatewayNameCache(
      options.gatewayDns ?? ISTIO_GATEWAY_DNS,
      options.logger.child({ scope: 'gateway-dns' }),
      () => this.debouncer.add([GATEWAY_DNS_CHANGED]),
    );
  }

  /** Takes a new accepted Istio config set (server/istio-config) and schedules a debounced rebuild. */
  setIstioConfig(set: IstioConfigSet): void {
    this.istioConfig = set;
    this.options.metrics.inboundUpdates.inc({ type: 'config' });
    this.options.metrics.virtualServices.set(set.virtualServices.length);
    this.debouncer.add([ISTIO_CONFIG_CHANGED]);
  }

  /**
   * Takes the kube clusters to drain (name → why; karmada.drainNotReady) and schedules a debounced
   * rebuild: their endpoints carry the reason, and EDS sends them behind every healthy endpoint.
   */
  setDrainingKubeClusters(draining: ReadonlyMap<string, string>): void {
    this.draining = new Map(draining);
    this.debouncer.add([DRAINING_CHANGED]);
  }

  /** Adds a kube cluster and waits for its first sync. */
  async addKubeCluster(source: KubeClusterSource): Promise<void> {
    this.sources.set(source.name, source);
    this.countKubeClusters();
    await source.start((changes) => {
      this.droppedInputs.observe(changes);
      for (const change of changes)
        this.options.metrics.countRegistryChange(
          change.kind,
          ISTIO_REGISTRY_TYPE[change.kind],
          change.op === 'delete' ? 'delete' : 'update',
        );
      this.debouncer.add(changes);
    });
  }

  async removeKubeCluster(name: string): Promise<void> {
    const source = this.sources.get(name);
    if (!source) return;
    this.sources.delete(name);
    this.droppedInputs.forget(name);
    this.countKubeClusters();
    await source.stop();
    this.rebuild();
  }

  /**
   * Builds a snapshot from every kube cluster's current store and hands it on. `changes`: every
   * registry change since the last build (the build then rebuilds only the services they touch);
   * without them the build looks at every service.
   */
  rebuild(changes?: readonly RegistryChange[], changeSeenAt?: number): MeshSnapshot {
    const { settings } = this.options;
    const kubeClusters = this.kubeClusterObjects();
    // Istio resolves gateway hostnames while it ingests kube and meshNetworks changes; here the
    // answers arrive later and rebuild the gateways (GATEWAY_DNS_CHANGED). Only Services and Nodes
    // name gateways, so a build following other changes stays O(the change).
    if (changes === undefined || changes.some((change) => change.kind === 'Service' || change.kind === 'Node'))
      this.gatewayNames.watch(gatewayHostnames(settings.meshNetworks, kubeClusters, settings.domainSuffix));
    const { snapshot, memo, delta, followed } = buildSnapshotIncremental(
      {
        domainSuffix: settings.domainSuffix,
        trustDomain: settings.trustDomain,
        meshNetworks: settings.meshNetworks,
        istioConfig: this.istioConfig,
        ...(settings.meshConfig !== undefined ? { meshConfig: settings.meshConfig } : {}),
        ...(settings.optIn !== undefined ? { optIn: settings.optIn } : {}),
        kubeClusters,
        resolvedHostnames: this.gatewayNames.addresses(),
      },
      this.memo,
      changes,
    );
    this.memo = memo;
    if (snapshot === this.current) return snapshot;
    if (isEmptyDelta(delta)) {
      // Only pods no service reaches changed: nothing to push, but proxies are identified from the new pods.
      this.current = snapshot;
      this.options.cache.setSnapshot(snapshot, delta);
      return snapshot;
    }
    this.current = snapshot;
    this.snapshotCount += 1;
    this.options.metrics.services.set(snapshot.services.size);
    for (const reason of new Set((changes ?? []).map((change) => PUSH_TRIGGER[change.kind])))
      this.options.metrics.pushTriggers.inc({ type: reason });
    if (delta.config) this.options.metrics.pushTriggers.inc({ type: 'config' });
    this.options.cache.setSnapshot(snapshot, delta);
    this.options.logger.debug(
      {
        snapshot: this.snapshotCount,
        services: snapshot.services.size,
        changes: changes?.length,
        followed,
        changedServices: delta.services.size,
        changedEndpoints: delta.endpoints.size,
        gateways: delta.gateways,
        config: delta.config,
      },
      'mesh snapshot built',
    );
    this.options.subscriber.publish(delta, changeSeenAt);
    return snapshot;
  }

  /**
   * The first build: waits for the gateway hostnames it names to resolve (each query bounded by the
   * resolver's timeout), as Istio resolves them before its first push, then builds again.
   */
  async rebuildResolvingGateways(): Promise<MeshSnapshot> {
    this.rebuild();
    await this.gatewayNames.settled();
    return this.rebuild();
  }

  private kubeClusterObjects(): KubeClusterObjects[] {
    const { settings } = this.options;
    return [...this.sources.values()].map((source) => {
      const network = settings.kubeClusterNetworks[source.name] ?? source.network;
      const draining = this.draining.get(source.name);
      return {
        name: source.name,
        ...(network ? { network } : {}),
        ...(draining !== undefined ? { draining } : {}),
        services: source.store.records('Service'),
        endpointSlices: source.store.records('EndpointSlice'),
        pods: source.store.records('Pod'),
        nodes: source.store.records('Node'),
        namespaces: source.store.records('Namespace'),
      };
    });
  }

  /** The Nodes of a member kube cluster (undefined: no such cluster), as the sidecar injection webhook reads them. */
  kubeNodes(kubeCluster: string): ReadonlyMap<string, NodeRecord> | undefined {
    return this.sources.get(kubeCluster)?.store.records('Node');
  }

  /** istiod_managed_clusters: local = named in meshpilot.yaml, remote = joined by a remote secret. */
  private countKubeClusters(): void {
    const configured = this.options.settings.kubeClusterNetworks;
    const local = [...this.sources.keys()].filter((name) => Object.hasOwn(configured, name)).length;
    this.options.metrics.managedKubeClusters.set({ cluster_type: 'local' }, local);
    this.options.metrics.managedKubeClusters.set({ cluster_type: 'remote' }, this.sources.size - local);
  }

  health(): KubeClusterHealth[] {
    return [...this.sources.values()].map((source) => {
      const draining = this.draining.get(source.name);
      return draining !== undefined ? { ...source.health(), draining } : source.health();
    });
  }

  async stop(): Promise<void> {
    this.debouncer.stop();
    this.gatewayNames.stop();
    await Promise.all([...this.sources.values()].map((source) => source.stop()));
  }
}
