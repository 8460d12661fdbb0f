import { ENDPOINT_TYPE, type XdsTypeUrl } from '../../protos/type-urls.ts';
import { viewKey, type ProxyView } from '../../model/proxy-view.ts';
import { FULL_DELTA, type SnapshotDelta } from '../../model/snapshot-delta.ts';
import { scopeSnapshot } from '../../model/sidecar-scope.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import { serviceEndpoints } from '../../translators/eds.ts';
import { sharedView, translatorFor, type Translator } from '../../translators/index.ts';
import { LayeredMap } from './layered-map.ts';
import type { XdsResource } from '../../translators/resource.ts';
import { encodeResource, encodeResourcesField, setVersion, type EncodedResource } from './encoded-resource.ts';

export type ResourceMap = ReadonlyMap<string, EncodedResource>;

const EMPTY: ResourceMap = new Map();
/** Deltas kept to bring a view's memo forward several snapshots at once. */
const DELTA_HISTORY = 16;

interface MemoEntry {
  readonly generation: number;
  readonly map: ResourceMap;
  /** EDS only: encoded resources per service hostname, reused while that service is unchanged. */
  readonly perService?: ReadonlyMap<string, readonly EncodedResource[]>;
}

function internKey(resource: EncodedResource): string {
  return `${resource.typeUrl}#${resource.name}#${resource.version}`;
}

function mergeDeltas(deltas: readonly SnapshotDelta[]): SnapshotDelta {
  const services = new Set<string>();
  const endpoints = new Set<string>();
  let gateways = false;
  let config = false;
  for (const delta of deltas) {
    if (delta.full) return FULL_DELTA;
    for (const hostname of delta.services) services.add(hostname);
    for (const hostname of delta.endpoints) endpoints.add(hostname);
    gateways ||= delta.gateways;
    config ||= delta.config;
  }
  return { services, endpoints, gateways, config, full: false };
}

/**
 * Resources per proxy view and type, computed and encoded once per snapshot and shared by every
 * stream of that view. A new snapshot comes with its delta: a view's resources are brought
 * forward by re-translating only the services that changed (EDS per service; other types only
 * when services changed), and unchanged resources keep their encoding and identity.
 */
export class XdsCache {
  private snapshot: MeshSnapshot | undefined;
  private generation = 0;
  private deltas: SnapshotDelta[] = [];
  private memo = new Map<string, MemoEntry>();
  /** Per type and workload: the resources of the proxy's own workload (inbound), and the layered result. */
  private workloadMemo = new Map<string, MemoEntry>();
  private interned = new Map<string, EncodedResource>();
  private translatedServices = 0;
  private readonly versions = new WeakMap<ReadonlyMap<string, EncodedResource>, string>();
  private readonly resourceFields = new WeakMap<ReadonlyMap<string, EncodedResource>, Buffer>();

  setSnapshot(snapshot: MeshSnapshot, delta: SnapshotDelta = FULL_DELTA): void {
    this.snapshot = snapshot;
    this.generation += 1;
    this.deltas.push(delta);
    if (this.deltas.length > DELTA_HISTORY) this.deltas.shift();
    // Keep only encodings some memo reaches, so the intern table never outgrows the live set.
    // Workload parts are small and recomputed per snapshot; drop those no stream asked for lately.
    for (const [key, entry] of this.workloadMemo)
      if (entry.generation < this.generation - 1) this.workloadMemo.delete(key);
    if (delta.full) {
      const live = new Map<string, EncodedResource>();
      for (const entry of this.memo.values()) for (const r of entry.map.values()) live.set(internKey(r), r);
      this.interned = live;
    }
  }

  currentSnapshot(): MeshSnapshot | undefined {
    return this.snapshot;
  }

  /** The delta from `generation` to now, or undefined when it is too old to know. */
  private deltaSince(generation: number): SnapshotDelta | undefined {
    const behind = this.generation - generation;
    if (behind > this.deltas.length) return undefined;
    return mergeDeltas(this.deltas.slice(this.deltas.length - behind));
  }

  /** Per namespace: the snapshot reduced to what that namespace's Sidecar lets its proxies reach. */
  private scopes = new Map<string, { generation: number; snapshot: MeshSnapshot }>();

  private scopedFor(snapshot: MeshSnapshot, view: ProxyView): MeshSnapshot {
    if (view.proxyType !== 'sidecar' || snapshot.istioConfig.sidecars.length === 0) return snapshot;
    const cached = this.scopes.get(view.namespace);
    if (cached?.generation === this.generation) return cached.snapshot;
    const scoped = scopeSnapshot(snapshot, view.namespace);
    this.scopes.set(view.namespace, { generation: this.generation, snapshot: scoped });
    return scoped;
  }

  resources(view: ProxyView, typeUrl: XdsTypeUrl): ResourceMap {
    const translator = translatorFor(typeUrl);
    if (!this.snapshot || !translator) return EMPTY;
    const snapshot = this.scopedFor(this.snapshot, view);
    const shared = this.sharedResources(snapshot, sharedView(view), typeUrl, translator.shared);
    if (!translator.perWorkload || view.workloadIp === undefined) return shared;
    const key = `${typeUrl}#${viewKey(view)}`;
    const cached = this.workloadMemo.get(key);
    if (cached?.generation === this.generation) return cached.map;
    const own = this.encodeAll(translator.perWorkload(snapshot, view));
    const map = own.size === 0 ? shared : new LayeredMap(shared, own);
    this.workloadMemo.set(key, { generation: this.generation, map });
    return map;
  }

  private sharedResources(
    snapshot: MeshSnapshot,
    view: ProxyView,
    typeUrl: XdsTypeUrl,
    translate: Translator,
  ): ResourceMap {
    const memoKey = `${typeUrl}#${viewKey(view)}`;
    const entry = this.memo.get(memoKey);
    if (entry?.generation === this.generation) return entry.map;
    const delta = entry ? this.deltaSince(entry.generation) : undefined;

    let next: MemoEntry;
    if (typeUrl === ENDPOINT_TYPE) next = this.endpointsFor(snapshot, view, entry, delta);
    // Non-EDS types depend on services and config, and CDS on gateways too (the ejection remedy).
    else if (entry && delta && !delta.full && !delta.config && !delta.gateways && delta.services.size === 0)
      next = { generation: this.generation, map: entry.map };
    else next = { generation: this.generation, map: this.encodeAll(translate(snapshot, view)) };
    this.memo.set(memoKey, next);
    return next.map;
  }

  /** The EDS resource names of the given services in a view (for endpoint-only pushes). */
  endpointNames(view: ProxyView, hostnames: ReadonlySet<string>): string[] {
    this.resources(view, ENDPOINT_TYPE);
    const perService = this.memo.get(`${ENDPOINT_TYPE}#${viewKey(sharedView(view))}`)?.perService;
    const names: string[] = [];
    for (const hostname of hostnames) for (const resource of perService?.get(hostname) ?? []) names.push(resource.name);
    return names;
  }

  private endpointsFor(
    snapshot: MeshSnapshot,
    view: ProxyView,
    entry: MemoEntry | undefined,
    delta: SnapshotDelta | undefined,
  ): MemoEntry {
    // Istio config (DestinationRule subsets, locality settings) can change any service's EDS.
    const reusable =
      entry?.perService && delta && !delta.full && !delta.gateways && !delta.config ? entry.perService : undefined;
    const perService = new Map<string, readonly EncodedResource[]>();
    const map = new Map<string, EncodedResource>();
    for (const service of snapshot.services.values()) {
      const unchanged = reusable && !delta!.services.has(service.hostname) && !delta!.endpoints.has(service.hostname);
      const encoded =
        (unchanged ? reusable.get(service.hostname) : undefined) ?? this.translateService(snapshot, view, service);
      perService.set(service.hostname, encoded);
      for (const resource of encoded) map.set(resource.name, resource);
    }
    return { generation: this.generation, map, perService };
  }

  private translateService(snapshot: MeshSnapshot, view: ProxyView, service: MeshService): EncodedResource[] {
    this.translatedServices += 1;
    return serviceEndpoints(snapshot, view, service).map((resource) => this.encode(resource));
  }

  private encodeAll(resources: readonly XdsResource[]): Map<string, EncodedResource> {
    const map = new Map<string, EncodedResource>();
    for (const resource of resources) map.set(resource.name, this.encode(resource));
    return map;
  }

  private encode(resource: XdsResource): EncodedResource {
    const encoded = encodeResource(resource);
    const key = internKey(encoded);
    const shared = this.interned.get(key);
    if (shared) return shared;
    this.interned.set(key, encoded);
    return encoded;
  }

  /** The version of a set of resources; memoized for shared maps, which many streams send alike. */
  versionOf(resources: ReadonlyMap<string, EncodedResource>): string {
    const known = this.versions.get(resources);
    if (known !== undefined) return known;
    const version = setVersion(resources.values());
    this.versions.set(resources, version);
    return version;
  }

  /** The encoded `resources` field of a shared set, built once for every stream that sends it whole. */
  resourcesFieldOf(resources: ReadonlyMap<string, EncodedResource>): Buffer {
    const known = this.resourceFields.get(resources);
    if (known !== undefined) return known;
    const field = encodeResourcesField(resources.values());
    this.resourceFields.set(resources, field);
    return field;
  }

  stats(): { views: number; workloads: number; interned: number; generation: number; translatedServices: number } {
    return {
      views: this.memo.size,
      workloads: this.workloadMemo.size,
      interned: this.interned.size,
      generation: this.generation,
      translatedServices: this.translatedServices,
    };
  }
}
