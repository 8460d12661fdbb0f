import type { XdsTypeUrl } from '../../protos/type-urls.ts';
import { ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import { viewKey, type ProxyView } from '../../model/proxy-view.ts';
import { FULL_DELTA, mergeDeltas, type SnapshotDelta } from '../../model/snapshot-delta.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { MESH_GENERATORS, type TypeGenerator } from '../generators/index.ts';
import { scopedSnapshot, scopeKeyOf, sharedView, sharedViewBasis } from '../generators/view-scope.ts';
import type { XdsResource } from '../../translators/resource.ts';
import type { EncodedResource } from '../xds/encoded-resource.ts';
import { encodeResource } from './encoded-resource.ts';
import { LayeredMap } from './layered-map.ts';

export type ResourceMap = ReadonlyMap<string, EncodedResource>;

const EMPTY: ResourceMap = new Map();
/** Deltas kept to bring a view's memo forward several snapshots at once. */
const DELTA_HISTORY = 16;

interface MemoEntry {
  readonly generation: number;
  readonly map: ResourceMap;
  /** Per-service generators (EDS): encoded resources per service hostname, reused while that service is unchanged. */
  readonly perService?: ReadonlyMap<string, readonly EncodedResource[]>;
}

/** What the cache keeps per ProxyView object (one per connected proxy): its keys, and its maps of this generation. */
interface ViewEntry {
  readonly key: string;
  shared: ProxyView;
  sharedKey: string;
  /** sharedViewBasis of the snapshot `shared` was worked out from. */
  basis: string;
  generation: number;
  readonly byType: Map<XdsTypeUrl, ResourceMap>;
}

/** A per-service type's resource names of some services, in one shared view, at one generation. */
interface NamesEntry {
  readonly generation: number;
  readonly hostnames: ReadonlySet<string>;
  readonly names: readonly string[];
}

function internKey(resource: EncodedResource): string {
  return `${resource.typeUrl}#${resource.name}#${resource.version}`;
}

/**
 * Resources per proxy view and type, generated (by each type's generator, server/generators) and
 * encoded once per snapshot and shared by every stream of that view. A new snapshot comes with its
 * delta: a view's resources are brought forward by asking each generator what the delta touched,
 * re-translating only that (per service where the generator works per service), and unchanged
 * resources keep their encoding and identity.
 */
export class XdsCache {
  private snapshot: MeshSnapshot | undefined;
  /** sharedViewBasis(snapshot): while it stays the same, every proxy keeps its shared view and keys. */
  private basis = '';
  private generation = 0;
  private deltas: SnapshotDelta[] = [];
  private memo = new Map<string, MemoEntry>();
  /** Per type and workload: the resources of the proxy's own workload (inbound), and the layered result. */
  private workloadMemo = new Map<string, MemoEntry>();
  private interned = new Map<string, EncodedResource>();
  private translatedServices = 0;
  private readonly generators: ReadonlyMap<XdsTypeUrl, TypeGenerator>;

  constructor(generators: ReadonlyMap<XdsTypeUrl, TypeGenerator> = MESH_GENERATORS) {
    this.generators = generators;
  }

  setSnapshot(snapshot: MeshSnapshot, delta: SnapshotDelta = FULL_DELTA): void {
    this.snapshot = snapshot;
    this.basis = sharedViewBasis(snapshot);
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

  /** Per scope key (see view-scope.ts): the snapshot a view's resources are generated from. */
  private scopes = new Map<string, { generation: number; snapshot: MeshSnapshot }>();

  private scopedFor(snapshot: MeshSnapshot, view: ProxyView): MeshSnapshot {
    const key = scopeKeyOf(snapshot, view);
    if (key === undefined) return snapshot;
    const cached = this.scopes.get(key);
    if (cached?.generation === this.generation) return cached.snapshot;
    const scoped = scopedSnapshot(snapshot, view);
    this.scopes.set(key, { generation: this.generation, snapshot: scoped });
    return scoped;
  }

  /**
   * Per view object (each connected proxy keeps its own): its keys, computed once, and what
   * resources() gave it in this generation, so the pushes and ACKs of a stream cost a lookup.
   */
  private viewEntries = new WeakMap<ProxyView, ViewEntry>();

  private entryOf(view: ProxyView): ViewEntry {
    let entry = this.viewEntries.get(view);
    if (entry === undefined) {
      const shared = sharedView(view, this.snapshot!);
      entry = {
        key: viewKey(view),
        shared,
        sharedKey: viewKey(shared),
        basis: this.basis,
        generation: this.generation,
        byType: new Map(),
      };
      this.viewEntries.set(view, entry);
    } else if (entry.generation !== this.generation) {
      // Which labels the shared view keeps follows the snapshot's failoverPriority labels.
      if (entry.basis !== this.basis) {
        const shared = sharedView(view, this.snapshot!);
        entry.shared = shared;
        entry.sharedKey = viewKey(shared);
        entry.basis = this.basis;
      }
      entry.generation = this.generation;
      entry.byType.clear();
    }
    return entry;
  }

  resources(view: ProxyView, typeUrl: XdsTypeUrl): ResourceMap {
    const generator = this.generators.get(typeUrl);
    if (!this.snapshot || !generator) return EMPTY;
    const entry = this.entryOf(view);
    const known = entry.byType.get(typeUrl);
    if (known !== undefined) return known;
    const map = this.resourcesOf(view, entry, generator);
    entry.byType.set(typeUrl, map);
    return map;
  }

  private resourcesOf(view: ProxyView, entry: ViewEntry, generator: TypeGenerator): ResourceMap {
    const snapshot = this.scopedFor(this.snapshot!, view);
    const shared = this.sharedResources(snapshot, entry.shared, generator, entry.sharedKey);
    // A router's Gateway listeners are per workload even without a known IP (their ports then stay as written).
    if (!generator.perWorkload || (view.workloadIp === undefined && view.proxyType !== 'router')) return shared;
    const typeUrl = generator.typeUrl;
    const key = `${typeUrl}#${entry.key}`;
    const cached = this.workloadMemo.get(key);
    if (cached?.generation === this.generation) return cached.map;
    const own = this.encodeAll(generator.perWorkload(snapshot, view));
    const map = own.size === 0 ? shared : new LayeredMap(shared, own);
    this.workloadMemo.set(key, { generation: this.generation, map });
    return map;
  }

  private sharedResources(
    snapshot: MeshSnapshot,
    view: ProxyView,
    generator: TypeGenerator,
    sharedKey: string,
  ): ResourceMap {
    const memoKey = `${generator.typeUrl}#${sharedKey}`;
    const entry = this.memo.get(memoKey);
    if (entry?.generation === this.generation) return entry.map;
    const delta = entry ? this.deltaSince(entry.generation) : undefined;

    let next: MemoEntry;
    if (generator.perService) next = this.perServiceFor(snapshot, view, generator, entry, delta);
    else if (entry && delta && generator.touchedBy(delta) === 'none')
      next = { generation: this.generation, map: entry.map };
    else next = { generation: this.generation, map: this.encodeAll(generator.shared(snapshot, view)) };
    this.memo.set(memoKey, next);
    return next.map;
  }

  /** Per type and shared view: the names namesOf gave last, handed again (the same array) to every stream of the view. */
  private namesMemo = new Map<string, NamesEntry>();

  /**
   * The names of a per-service type's resources of the given services in a view (for pushes of a
   * few services). Every proxy of one shared view asking about the same `hostnames` set in one
   * generation gets the same array: a push of one change to many streams computes it once per view.
   */
  namesOf(view: ProxyView, typeUrl: XdsTypeUrl, hostnames: ReadonlySet<string>): readonly string[] {
    this.resources(view, typeUrl);
    const memoKey = `${typeUrl}#${this.entryOf(view).sharedKey}`;
    const known = this.namesMemo.get(memoKey);
    if (known?.generation === this.generation && known.hostnames === hostnames) return known.names;
    const perService = this.memo.get(memoKey)?.perService;
    const names: string[] = [];
    for (const hostname of hostnames) for (const resource of perService?.get(hostname) ?? []) names.push(resource.name);
    this.namesMemo.set(memoKey, { generation: this.generation, hostnames, names });
    return names;
  }

  /** The EDS resource names of the given services in a view (for endpoint-only pushes). */
  endpointNames(view: ProxyView, hostnames: ReadonlySet<string>): readonly string[] {
    return this.namesOf(view, ENDPOINT_TYPE, hostnames);
  }

  private perServiceFor(
    snapshot: MeshSnapshot,
    view: ProxyView,
    generator: TypeGenerator,
    entry: MemoEntry | undefined,
    delta: SnapshotDelta | undefined,
  ): MemoEntry {
    // Services the delta changed, or every one (also when the history is too old to know).
    const touched = delta === undefined ? 'all' : retranslated(generator, delta);
    const reusable = entry?.perService && touched !== 'all' ? entry.perService : undefined;
    const perService = new Map<string, readonly EncodedResource[]>();
    const map = new Map<string, EncodedResource>();
    for (const service of snapshot.services.values()) {
      const unchanged = reusable && touched !== 'all' && !touched.has(service.hostname);
      const encoded =
        (unchanged ? reusable.get(service.hostname) : undefined) ??
        this.translateService(generator.perService!(snapshot, view, service));
      perService.set(service.hostname, encoded);
      for (const resource of encoded) map.set(resource.name, resource);
    }
    return { generation: this.generation, map, perService };
  }

  private translateService(resources: readonly XdsResource[]): EncodedResource[] {
    this.translatedServices += 1;
    return resources.map((resource) => this.encode(resource));
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

/**
 * The services a per-service type must translate again: those the delta names, or all of them when
 * the generator says everything was touched by something other than a set of services (Istio
 * config, gateways), since then any service's resources may differ.
 */
function retranslated(generator: TypeGenerator, delta: SnapshotDelta): 'all' | ReadonlySet<string> {
  if (delta.full || delta.config || delta.gateways) return 'all';
  if (generator.touchedBy(delta) === 'none') return new Set();
  return new Set([...delta.services, ...delta.endpoints]);
}
