import type { EncodedResource } from '../cache/encoded-resource.ts';
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
  readonly names = new Set<string>();
  /** name → the resource last sent (what the client holds, for config_dump and diffs). */
  readonly sent = new Map<string, EncodedResource>();
  nonce: string | undefined;
  version: string | undefined;
  ackedVersion: string | undefined;
  lastNack: NackRecord | undefined;
  sentAt: string | undefined;
  /** performance.now() when the change carried by the last response was first seen. */
  sentChangeAt: number | undefined;
  requests = 0;

  constructor(typeUrl: XdsTypeUrl) {
    this.typeUrl = typeUrl;
  }

  get allowsWildcard(): boolean {
    return WILDCARD_TYPES.has(this.typeUrl);
  }

  wants(name: string): boolean {
    return (this.wildcard && this.allowsWildcard) || this.names.has(name);
  }

  /** The subscribed subset of the available resources. */
  select(available: ReadonlyMap<string, EncodedResource>): Map<string, EncodedResource> {
    if (this.wildcard && this.allowsWildcard) return new Map(available);
    const out = new Map<string, EncodedResource>();
    for (const name of this.names) {
      const resource = available.get(name);
      if (resource) out.set(name, resource);
    }
    return out;
  }

  subscriptionKey(): string {
    return `${this.wildcard ? '*' : ''}|${[...this.names].sort().join(',')}`;
  }
}
