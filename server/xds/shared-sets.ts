import { encodeResourcesField, setVersion, type EncodedResource } from './encoded-resource.ts';

/** What one push of a few changed resources (the same list for every stream of a view) encodes once. */
interface ChangedSet {
  readonly resources: readonly EncodedResource[];
  readonly field: Buffer;
  /** The stream's previous version → the version chained from it with these resources. */
  readonly versions: Map<string, string>;
}

interface SharedSubscription {
  readonly names: WeakRef<ReadonlySet<string>>;
  /** Whether the request listed any name (`*` included), and whether one was `*`: known when recorded. */
  readonly listed?: boolean;
  readonly star?: boolean;
}

/** A subscription some request with the same names made: the shared set and how its names were listed. */
export interface KnownSubscription {
  readonly names: ReadonlySet<string>;
  readonly listed: boolean;
  readonly star: boolean;
}

function listedOf(requested: readonly string[]): { listed: boolean; star: boolean } {
  return { listed: requested.length > 0, star: requested.includes('*') };
}

/** Chained versions remembered per changed set: a view's streams share one previous version. */
const MAX_CHAINED_VERSIONS = 64;

/**
 * Per shared resource map (the same map object many streams send, e.g. a view's CDS): its version
 * and its encoded `resources` field, computed once for every stream that sends it whole.
 */
export class SharedSets {
  private readonly versions = new WeakMap<ReadonlyMap<string, EncodedResource>, string>();
  private readonly resourceFields = new WeakMap<ReadonlyMap<string, EncodedResource>, Buffer>();

  versionOf(resources: ReadonlyMap<string, EncodedResource>): string {
    const known = this.versions.get(resources);
    if (known !== undefined) return known;
    const version = setVersion(resources.values());
    this.versions.set(resources, version);
    return version;
  }

  private readonly changedSets = new WeakMap<readonly string[], ChangedSet>();

  /** Subscriptions by type URL and names digest, held weakly: gone once no stream holds them. */
  private readonly subscriptions = new Map<string, SharedSubscription>();
  private readonly forgetSubscription = new FinalizationRegistry<string>((key) => {
    if (this.subscriptions.get(key)?.names.deref() === undefined) this.subscriptions.delete(key);
  });

  /**
   * The set of subscribed names every SotW stream of a type with the same request names (same
   * digest of their bytes) shares; `names` becomes it when none is held yet. Shared sets are never
   * changed: a stream whose subscription changes gets another one. With `requested` (the request's
   * names as listed), later requests with that digest need not decode their names at all
   * (knownSubscription).
   */
  subscriptionOf(
    typeUrl: string,
    digest: string,
    names: ReadonlySet<string>,
    requested?: readonly string[],
  ): ReadonlySet<string> {
    const key = `${typeUrl}#${digest}`;
    const entry = this.subscriptions.get(key);
    const known = entry?.names.deref();
    if (known !== undefined && known.size === names.size) {
      if (entry !== undefined && entry.listed === undefined && requested !== undefined)
        this.subscriptions.set(key, { names: entry.names, ...listedOf(requested) });
      return known;
    }
    this.subscriptions.set(key, {
      names: new WeakRef(names),
      ...(requested === undefined ? {} : listedOf(requested)),
    });
    this.forgetSubscription.register(names, key);
    return names;
  }

  /** What an earlier request with the same names (same digest) subscribed to, while some stream holds it. */
  knownSubscription(typeUrl: string, digest: string): KnownSubscription | undefined {
    const entry = this.subscriptions.get(`${typeUrl}#${digest}`);
    const names = entry?.names.deref();
    if (entry?.listed === undefined || names === undefined) return undefined;
    return { names, listed: entry.listed, star: entry.star === true };
  }

  /**
   * For a push of the resources `touched` names (the same array for every stream of a view, see
   * ResourceSource.touched): the encoded `resources` field and the version chained from the
   * stream's previous one, computed once for all streams that send exactly `changed`.
   */
  changedSetOf(
    touched: readonly string[],
    changed: readonly EncodedResource[],
    previousVersion: string,
  ): { field: Buffer; version: string } {
    let set = this.changedSets.get(touched);
    if (set === undefined || !sameResources(set.resources, changed)) {
      set = { resources: [...changed], field: encodeResourcesField(changed), versions: new Map() };
      this.changedSets.set(touched, set);
    }
    let version = set.versions.get(previousVersion);
    if (version === undefined) {
      version = setVersion([{ name: '', version: previousVersion }, ...changed]);
      if (set.versions.size >= MAX_CHAINED_VERSIONS) set.versions.clear();
      set.versions.set(previousVersion, version);
    }
    return { field: set.field, version };
  }

  resourcesFieldOf(resources: ReadonlyMap<string, EncodedResource>): Buffer {
    const known = this.resourceFields.get(resources);
    if (known !== undefined) return known;
    const field = encodeResourcesField(resources.values());
    this.resourceFields.set(resources, field);
    return field;
  }
}

function sameResources(a: readonly EncodedResource[], b: readonly EncodedResource[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
