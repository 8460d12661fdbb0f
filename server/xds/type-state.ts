import type { EncodedResource } from './encoded-resource.ts';
import { WILDCARD_TYPES, type XdsTypeUrl } from '../../protos/type-urls.ts';

export interface NackRecord {
  readonly message: string;
  readonly nonce: string;
  readonly version?: string;
  readonly at: string;
}

/** Per stream and type: what the client subscribed to, what it was sent, what it acknowledged. */
export class TypeState {
  readonly typeUrl: XdsTypeUrl;
  wildcard = false;
  /** True while the client relies on the legacy "empty list means wildcard" rule. */
  legacyWildcard = false;
  /**
   * The subscribed names. SotW streams of a view with the same subscription share one set
   * (SharedSets.subscriptionOf), so it is replaced, never changed in place; Delta streams change
   * their own through ownNames().
   */
  names: ReadonlySet<string> = new Set<string>();
  private owned: Set<string> | undefined;

  /** The names as a set of this stream's own, to add to or delete from (copied first if it was shared). */
  ownNames(): Set<string> {
    if (this.owned === undefined || this.owned !== this.names) {
      this.owned = new Set(this.names);
      this.names = this.owned;
    }
    return this.owned;
  }
  /** name → the resource last sent (what the client holds, for config_dump and diffs). */
  readonly sent = new SentResources();
  nonce: string | undefined;
  version: string | undefined;
  ackedVersion: string | undefined;
  lastNack: NackRecord | undefined;
  /**
   * Names to send at the next response even if unchanged: their parent (a cluster, a listener) was
   * added or changed, and Envoy keeps it warming until they arrive (server/xds/warming.ts).
   */
  readonly mustResend = new Set<string>();
  /** Date.now() of the last response (kept as a number: a push writes it to every stream). */
  sentAtMs: number | undefined;
  get sentAt(): string | undefined {
    return this.sentAtMs === undefined ? undefined : new Date(this.sentAtMs).toISOString();
  }
  /** performance.now() when the change carried by the last response was first seen. */
  sentChangeAt: number | undefined;
  requests = 0;
  /** Digest of the resource names of the last request (SotW): an ACK with the same digest changes nothing. */
  namesDigest: string | undefined;

  constructor(typeUrl: XdsTypeUrl) {
    this.typeUrl = typeUrl;
  }

  get allowsWildcard(): boolean {
    return WILDCARD_TYPES.has(this.typeUrl);
  }

  wants(name: string): boolean {
    return (this.wildcard && this.allowsWildcard) || this.names.has(name);
  }

  /**
   * The subscribed subset of the available resources. When the subscription covers all of them
   * (wildcard, or every name listed, as Envoy's EDS requests do) this is the shared map itself.
   */
  select(available: ReadonlyMap<string, EncodedResource>): ReadonlyMap<string, EncodedResource> {
    if (this.wildcard && this.allowsWildcard) return available;
    if (this.names.size >= available.size && [...available.keys()].every((name) => this.names.has(name)))
      return available;
    const out = new Map<string, EncodedResource>();
    for (const name of this.names) {
      const resource = available.get(name);
      if (resource) out.set(name, resource);
    }
    return out;
  }
}

/**
 * What a stream holds of one type. After a full send of a shared map, it is that map itself (no
 * per-stream copy: an idle stream costs O(1) here); later single-resource sends go to an overlay.
 */
export class SentResources {
  private base: ReadonlyMap<string, EncodedResource> = new Map();
  private readonly overlay = new Map<string, EncodedResource | null>();

  get(name: string): EncodedResource | undefined {
    const own = this.overlay.get(name);
    if (own !== undefined) return own ?? undefined;
    return this.base.get(name);
  }

  set(name: string, resource: EncodedResource): void {
    this.overlay.set(name, resource);
  }

  delete(name: string): void {
    if (this.base.has(name)) this.overlay.set(name, null);
    else this.overlay.delete(name);
  }

  /** The stream now holds exactly `resources` (shared, not copied). */
  replaceAll(resources: ReadonlyMap<string, EncodedResource>): void {
    this.base = resources;
    this.overlay.clear();
  }

  *entries(): IterableIterator<[string, EncodedResource]> {
    for (const [name, resource] of this.base) {
      const own = this.overlay.get(name);
      if (own === undefined) yield [name, resource];
      else if (own !== null) yield [name, own];
    }
    for (const [name, own] of this.overlay) if (own !== null && !this.base.has(name)) yield [name, own];
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<EncodedResource> {
    for (const [, resource] of this.entries()) yield resource;
  }

  /** O(overlay), not O(held): /debug/syncz reads it for every stream and type. */
  get size(): number {
    let size = this.base.size;
    for (const [name, own] of this.overlay) {
      const inBase = this.base.has(name);
      if (own === null && inBase) size -= 1;
      else if (own !== null && !inBase) size += 1;
    }
    return size;
  }
}
