import { isDeepStrictEqual } from 'node:util';
import { buildService, serviceDependencies, serviceKeyOf, type ServiceRecordIn } from './build-service.ts';
import { serviceHostname } from './hostnames.ts';
import { InputIndex } from './input-index.ts';
import { EMPTY_ISTIO_CONFIG } from './istio/config-set.ts';
import type { InputChange, KubeClusterObjects, SnapshotInput } from './inputs.ts';
import {
  namedNetworks,
  NetworkResolver,
  resolveGateways,
  systemNamespaceNetwork,
  type ResolvedHostnames,
} from './networks.ts';
import { FULL_DELTA, isEmptyDelta, type SnapshotDelta } from './snapshot-delta.ts';
import type { MeshService, MeshSnapshot, NetworkGateway, WorkloadEndpoint } from './types.ts';
import { NO_POD_SOURCES, podSources, serviceEntryServices } from './service-entries.ts';
import { indexWorkloadEntries, NO_WORKLOAD_ENTRIES, type WorkloadEntryIndex } from './workload-entries.ts';
import { updateWorkloads, workloadsByIp, type PodIps, type WorkloadsByIp } from './workloads.ts';

export { TLS_MODE_LABEL } from './build-service.ts';

/**
 * What a build remembers for the next one: per service, the input records it was built from
 * (compared by identity: the kube cluster stores keep unchanged records as the same objects) and
 * what it produced; the index from records to services; the snapshot it made. A memo is handed on:
 * pass each one to one later build only.
 */
export interface SnapshotMemo {
  readonly settings: readonly unknown[];
  /** The record maps the build read: a keyed build is valid only over the same kube cluster stores. */
  readonly stores: readonly unknown[];
  readonly services: ReadonlyMap<string, ServiceMemo>;
  readonly workloads: {
    /** The records the workloads were derived from, or undefined once a keyed build updated them. */
    readonly inputs: readonly unknown[] | undefined;
    readonly byIp: WorkloadsByIp;
    readonly podIps: PodIps;
  };
  readonly index: InputIndex;
  readonly snapshot: MeshSnapshot;
  /** The resolved gateway hostnames the snapshot's gateways were found with. */
  readonly resolved: ResolvedHostnames;
}

interface ServiceMemo {
  readonly inputs: readonly unknown[];
  readonly service: MeshService;
  readonly endpoints: ReadonlyMap<number, readonly WorkloadEndpoint[]>;
}

export interface SnapshotBuild {
  readonly snapshot: MeshSnapshot;
  readonly memo: SnapshotMemo;
  /** What changed since the memo's snapshot (FULL_DELTA without a memo); unchanged parts are the same objects. */
  readonly delta: SnapshotDelta;
  /** How the build found what to rebuild: from the named changes, or by looking at every service. */
  readonly followed: 'changes' | 'every service';
}

/** Builds the immutable mesh snapshot from every kube cluster's reduced objects. Pure. */
export function buildSnapshot(input: SnapshotInput): MeshSnapshot {
  return buildSnapshotIncremental(input, undefined).snapshot;
}

/**
 * buildSnapshot, reusing the previous build. With `changes` (every input record added, changed or
 * removed since the memo was made, as the registry's events name them) it rebuilds only the
 * services those records feed, found through the memo's index: O(the change). Without them, or when
 * the kube clusters or settings differ from the memo's, it walks every service and reuses those
 * whose input records are the same objects.
 */
export function buildSnapshotIncremental(
  input: SnapshotInput,
  memo: SnapshotMemo | undefined,
  changes?: readonly InputChange[],
): SnapshotBuild {
  const kubeClusters = [...input.kubeClusters].sort((a, b) => a.name.localeCompare(b.name));
  // A kube cluster's network (configured, or its istio-system Namespace's label) and whether it drains feed
  // every endpoint and gateway: when one changes, the build walks every service.
  // WorkloadEntries feed the Services that select them: when they change, the build walks every service.
  const workloadEntries = input.istioConfig?.workloadEntries ?? [];
  const settings = [
    input.meshNetworks,
    input.domainSuffix,
    ...kubeClusters.map((c) => `${c.name}=${c.network ?? ''}=${systemNamespaceNetwork(c)}=${c.draining ?? ''}`),
    `config kube cluster ${input.kubeClusters[0]?.name ?? ''}`,
    JSON.stringify(
      workloadEntries.map((entry) => [entry.meta.namespace, entry.meta.name, entry.meta.origin, entry.spec]),
    ),
  ];
  const stores = kubeClusters.flatMap((c) => [c.services, c.endpointSlices, c.pods, c.nodes, c.namespaces]);
  const keyed =
    memo !== undefined &&
    changes !== undefined &&
    sameRefs(memo.settings, settings) &&
    sameRefs(memo.stores, stores) &&
    input.trustDomain === memo.snapshot.trustDomain;
  const build: SnapshotBuild = keyed
    ? { ...buildKeyed(input, kubeClusters, memo, changes), followed: 'changes' }
    : { ...buildWhole(input, kubeClusters, settings, stores, memo), followed: 'every service' };
  // Nothing changed (not even the pods proxies are identified by): keep the previous snapshot object itself.
  if (
    memo !== undefined &&
    isEmptyDelta(build.delta) &&
    build.snapshot.workloadsByIp === memo.snapshot.workloadsByIp &&
    sameRefs(build.snapshot.networks, memo.snapshot.networks) // strings: equal values
  )
    return { ...build, snapshot: memo.snapshot, memo: { ...build.memo, snapshot: memo.snapshot } };
  return build;
}

/** The WorkloadEntries of the Istio config, by the kube cluster whose Services select them. */
function workloadEntryIndex(input: SnapshotInput): WorkloadEntryIndex {
  const entries = input.istioConfig?.workloadEntries ?? [];
  return entries.length === 0 ? NO_WORKLOAD_ENTRIES : indexWorkloadEntries(entries, input.kubeClusters[0]?.name);
}

const NO_RESOLVED_HOSTNAMES: ResolvedHostnames = new Map();

function resolvedOf(input: SnapshotInput): ResolvedHostnames {
  return input.resolvedHostnames ?? NO_RESOLVED_HOSTNAMES;
}

function sameRefs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Every service's Service records across kube clusters, by hostname, in hostname order. */
function mergeServices(
  kubeClusters: readonly KubeClusterObjects[],
  domainSuffix: string,
): Map<string, ServiceRecordIn[]> {
  const merged = new Map<string, ServiceRecordIn[]>();
  for (const cluster of kubeClusters) {
    for (const service of cluster.services.values()) {
      const hostname = serviceHostname(service.name, service.namespace, domainSuffix);
      const records = merged.get(hostname) ?? [];
      records.push({ cluster, service });
      merged.set(hostname, records);
    }
  }
  return new Map([...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The walk over every service (first build, new kube clusters or settings, or changes not named). */
function buildWhole(
  input: SnapshotInput,
  kubeClusters: readonly KubeClusterObjects[],
  settings: readonly unknown[],
  stores: readonly unknown[],
  memo: SnapshotMemo | undefined,
): Omit<SnapshotBuild, 'followed'> {
  const resolver = new NetworkResolver(input.meshNetworks, input.kubeClusters);
  const entries = workloadEntryIndex(input);
  const reusable = memo && sameRefs(memo.settings, settings) ? memo.services : undefined;
  const index = InputIndex.of(kubeClusters);
  const changes = new ChangeTracker(memo?.snapshot);

  const nextMemo = new Map<string, ServiceMemo>();
  for (const [hostname, records] of mergeServices(kubeClusters, input.domainSuffix)) {
    const dependencies = serviceDependencies(records, index);
    index.setRefs(serviceKeyOf(records[0]!.service), dependencies.pods, dependencies.nodes);
    const previous = reusable?.get(hostname);
    const built =
      previous && sameRefs(previous.inputs, dependencies.inputs)
        ? previous
        : changes.compare(hostname, {
            inputs: dependencies.inputs,
            ...buildService(hostname, records, index, resolver, entries),
          });
    nextMemo.set(hostname, built);
  }
  changes.removedExcept(nextMemo);

  const workloadInputs = kubeClusters.flatMap((c) => [c.name, ...c.pods.values(), ...c.nodes.values()]);
  const workloads =
    reusable && memo?.workloads.inputs && sameRefs(memo.workloads.inputs, workloadInputs)
      ? memo.workloads
      : { inputs: workloadInputs, ...workloadsByIp(kubeClusters, resolver) };
  const gateways = changes.gateways(
    resolveGateways(input.meshNetworks, kubeClusters, input.domainSuffix, resolvedOf(input)),
  );
  return finish(input, kubeClusters, settings, stores, nextMemo, workloads, index, gateways, changes);
}

/** The build that follows named changes: rebuilds only the services the changed records feed. */
function buildKeyed(
  input: SnapshotInput,
  kubeClusters: readonly KubeClusterObjects[],
  memo: SnapshotMemo,
  inputChanges: readonly InputChange[],
): Omit<SnapshotBuild, 'followed'> {
  const { index } = memo;
  const byName = new Map(kubeClusters.map((cluster) => [cluster.name, cluster]));
  const dirty = new Set<string>();
  const pods: { cluster: KubeClusterObjects; key: string }[] = [];
  let servicesChanged = false;
  let nodesChanged = false;
  for (const change of inputChanges) {
    const cluster = byName.get(change.kubeCluster);
    if (cluster === undefined) continue;
    switch (change.kind) {
      case 'Service':
        dirty.add(change.key);
        servicesChanged = true;
        break;
      case 'EndpointSlice':
        for (const key of index.fileSlice(cluster, change.key)) dirty.add(key);
        break;
      case 'Pod':
        for (const key of index.servicesOfPod(cluster.name, change.key)) dirty.add(key);
        pods.push({ cluster, key: change.key });
        break;
      case 'Node':
        for (const key of index.servicesOfNode(cluster.name, change.key)) dirty.add(key);
        nodesChanged = true;
        break;
      case 'Namespace':
        // Its traffic-distribution annotation is its Services' default (its network label is a setting).
        for (const key of cluster.services.keys()) if (key.startsWith(`${change.key}/`)) dirty.add(key);
        break;
    }
  }

  const resolver = new NetworkResolver(input.meshNetworks, input.kubeClusters);
  const entries = workloadEntryIndex(input);
  const changes = new ChangeTracker(memo.snapshot);
  const nextMemo = new Map(memo.services);
  let added = false;
  for (const key of dirty) {
    const slash = key.indexOf('/');
    const hostname = serviceHostname(key.slice(slash + 1), key.slice(0, slash), input.domainSuffix);
    const records: ServiceRecordIn[] = [];
    for (const cluster of kubeClusters) {
      const service = cluster.services.get(key);
      if (service) records.push({ cluster, service });
    }
    if (records.length === 0) {
      index.dropRefs(key);
      if (nextMemo.delete(hostname)) changes.removed(hostname);
      continue;
    }
    const dependencies = serviceDependencies(records, index);
    index.setRefs(key, dependencies.pods, dependencies.nodes);
    added ||= !nextMemo.has(hostname);
    nextMemo.set(
      hostname,
      changes.compare(hostname, {
        inputs: dependencies.inputs,
        ...buildService(hostname, records, index, resolver, entries),
      }),
    );
  }
  const services = added ? new Map([...nextMemo].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : nextMemo;

  const workloads = nodesChanged
    ? { inputs: undefined, ...workloadsByIp(kubeClusters, resolver) }
    : pods.length > 0
      ? {
          inputs: undefined,
          podIps: memo.workloads.podIps,
          byIp: updateWorkloads(memo.workloads.byIp, memo.workloads.podIps, pods, kubeClusters, resolver),
        }
      : memo.workloads;
  // A gateway hostname resolved to other addresses changes the gateways only (Istio's NotifyGatewayHandlers).
  const gateways =
    servicesChanged || nodesChanged || resolvedOf(input) !== memo.resolved
      ? changes.gateways(resolveGateways(input.meshNetworks, kubeClusters, input.domainSuffix, resolvedOf(input)))
      : memo.snapshot.gateways;
  return finish(input, kubeClusters, memo.settings, memo.stores, services, workloads, index, gateways, changes);
}

function finish(
  input: SnapshotInput,
  kubeClusters: readonly KubeClusterObjects[],
  settings: readonly unknown[],
  stores: readonly unknown[],
  services: ReadonlyMap<string, ServiceMemo>,
  workloads: SnapshotMemo['workloads'],
  index: InputIndex,
  gateways: ReadonlyMap<string, readonly NetworkGateway[]>,
  changes: ChangeTracker,
): Omit<SnapshotBuild, 'followed'> {
  const meshServices = new Map<string, MeshService>();
  const endpoints = new Map<string, ReadonlyMap<number, readonly WorkloadEndpoint[]>>();
  for (const [hostname, built] of services) {
    meshServices.set(hostname, built.service);
    endpoints.set(hostname, built.endpoints);
  }
  // ServiceEntry hosts: rebuilt on every build (config objects, few), compared with the previous snapshot.
  const seList = input.istioConfig?.serviceEntries ?? [];
  // Pods are read only when a ServiceEntry selects workloads (a pass over every pod of every kube cluster).
  const pods = seList.some((entry) => entry.spec.workloadSelector !== undefined)
    ? podSources(kubeClusters, new NetworkResolver(input.meshNetworks, input.kubeClusters))
    : NO_POD_SOURCES;
  const serviceEntries = serviceEntryServices(
    seList,
    workloadEntryIndex(input),
    input.kubeClusters[0]?.name,
    new Set(meshServices.keys()),
    pods,
  );
  for (const [hostname, service] of serviceEntries.services) {
    const built = changes.compare(hostname, {
      inputs: [],
      service,
      endpoints: serviceEntries.endpoints.get(hostname) ?? new Map(),
    });
    meshServices.set(hostname, built.service);
    endpoints.set(hostname, built.endpoints);
  }
  changes.serviceEntriesGone(serviceEntries.services);
  const sortedServices =
    serviceEntries.services.size > 0
      ? new Map([...meshServices].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : meshServices;
  const snapshot: MeshSnapshot = {
    domainSuffix: input.domainSuffix,
    trustDomain: input.trustDomain,
    services: sortedServices,
    endpoints,
    gateways,
    workloadsByIp: workloads.byIp,
    kubeClusters: kubeClusters.map((c) => c.name),
    networks: namedNetworks(input.meshNetworks, kubeClusters, gateways),
    istioConfig: changes.istioConfig(input.istioConfig ?? EMPTY_ISTIO_CONFIG),
    ...(input.meshConfig !== undefined ? { meshConfig: input.meshConfig } : {}),
    ...(input.optIn !== undefined ? { optIn: input.optIn } : {}),
  };
  return {
    snapshot,
    memo: { settings, stores, services, workloads, index, snapshot, resolved: resolvedOf(input) },
    delta: changes.delta(),
  };
}

/**
 * What changed against the previous snapshot, found per rebuilt service (never by diffing the whole
 * mesh); unchanged results are replaced by the previous objects, so every consumer can compare by
 * identity. Without a previous snapshot everything is new (FULL_DELTA).
 */
class ChangeTracker {
  private readonly previous: MeshSnapshot | undefined;
  private readonly services = new Set<string>();
  private readonly endpoints = new Set<string>();
  private gatewaysChanged = false;
  private configChanged = false;

  constructor(previous: MeshSnapshot | undefined) {
    this.previous = previous;
  }

  compare(hostname: string, built: ServiceMemo): ServiceMemo {
    if (!this.previous) return built;
    const oldService = this.previous.services.get(hostname);
    const oldEndpoints = this.previous.endpoints.get(hostname);
    const sameService = oldService !== undefined && isDeepStrictEqual(oldService, built.service);
    const sameEndpoints = oldEndpoints !== undefined && isDeepStrictEqual(oldEndpoints, built.endpoints);
    if (!sameService) this.services.add(hostname);
    else if (!sameEndpoints) this.endpoints.add(hostname);
    return {
      inputs: built.inputs,
      service: sameService ? oldService : built.service,
      endpoints: sameEndpoints ? oldEndpoints : built.endpoints,
    };
  }

  removed(hostname: string): void {
    if (this.previous?.services.has(hostname)) this.services.add(hostname);
  }

  removedExcept(current: ReadonlyMap<string, unknown>): void {
    for (const [hostname, service] of this.previous?.services ?? [])
      if (service.serviceEntry === undefined && !current.has(hostname)) this.removed(hostname);
  }

  /** ServiceEntry hosts of the previous snapshot no ServiceEntry adds any more. */
  serviceEntriesGone(current: ReadonlyMap<string, unknown>): void {
    for (const [hostname, service] of this.previous?.services ?? [])
      if (service.serviceEntry !== undefined && !current.has(hostname)) this.removed(hostname);
  }

  gateways(next: ReadonlyMap<string, readonly NetworkGateway[]>): ReadonlyMap<string, readonly NetworkGateway[]> {
    if (!this.previous) return next;
    if (isDeepStrictEqual(this.previous.gateways, next)) return this.previous.gateways;
    this.gatewaysChanged = true;
    return next;
  }

  istioConfig(next: MeshSnapshot['istioConfig']): MeshSnapshot['istioConfig'] {
    if (!this.previous) return next;
    const old = this.previous.istioConfig;
    if (old === next || isDeepStrictEqual(old, next)) return old;
    this.configChanged = true;
    return next;
  }

  delta(): SnapshotDelta {
    if (!this.previous) return FULL_DELTA;
    return {
      services: this.services,
      endpoints: this.endpoints,
      gateways: this.gatewaysChanged,
      config: this.configChanged,
      full: false,
    };
  }
}
