import type { XdsTypeUrl } from '../../protos/type-urls.ts';
import type { AuthenticatedIdentity } from './authenticated-identity.ts';
import type { EncodedResource } from './encoded-resource.ts';
import type { NodeMessage } from './wire.ts';

/**
 * The seam between ADS streams and whatever generates resources, owned by the stream side (like
 * go-control-plane's ConfigWatcher). Streams know only this file: per type URL, a source that gives
 * the resources for a connected proxy and says which of them a change touches. What a proxy (`P`)
 * or a change (`C`) is stays opaque here; the runtime injects both, with the proxy identifier.
 *
 * Later per-type behaviour (warming: EDS re-sent after CDS changed an EDS cluster, limits per
 * stream) belongs to the sources or to the stream code around `touched`, never to a concrete cache.
 */

export type ResourceMap = ReadonlyMap<string, EncodedResource>;

/** Which of a proxy's resources of one type a change may have touched: all, none, or these names. */
export type Touched = 'all' | 'none' | readonly string[];

/** What a source may know about a stream it serves. */
export interface SourceStream<P> {
  readonly id: string;
  readonly proxy: P;
  /** Set on streams of the TLS listener: the identity the peer proved; undefined on plaintext streams. */
  readonly authenticated: AuthenticatedIdentity | undefined;
  readonly isClosed: boolean;
  /** The names the stream subscribed to for a type (empty for none or for a wildcard only). */
  subscribed(typeUrl: XdsTypeUrl): ReadonlySet<string>;
  /** Looks at every subscribed type again now (e.g. the certificate it waited for is ready). */
  push(): void;
}

export interface ResourceSource<P, C> {
  /**
   * Every resource of this type the proxy may subscribe to, by name. Called on every request and
   * push: return the same map (and the same EncodedResource objects) while nothing changed.
   */
  resources(stream: SourceStream<P>): ResourceMap;
  /** Which of the proxy's resources of this type `change` may have added, changed or removed. */
  touched(change: C, stream: SourceStream<P>): Touched;
  /** The stream closed: forget whatever was kept for it. */
  released?(stream: SourceStream<P>): void;
}

export type ResourceSources<P, C> = ReadonlyMap<XdsTypeUrl, ResourceSource<P, C>>;

/** What the stream itself needs to know of a proxy: an id for logs and the debug endpoints. */
export interface StreamProxy {
  readonly id: string;
}

export type ProxyIdentification<P> =
  | {
      readonly ok: true;
      readonly proxy: P;
      readonly logFields?: Readonly<Record<string, unknown>>;
      /** Something wrong with the proxy that does not stop it being served: logged once, at warn, when it connects. */
      readonly warning?: { readonly code: string; readonly message: string };
    }
  | { readonly ok: false; readonly error: string };

/** Identifies the proxy of a stream from the node of its first request (injected by the runtime). */
export type ProxyIdentifier<P> = (node: NodeMessage | undefined) => ProxyIdentification<P>;

/** The union of what several changes touched. */
export function touchedByAll<P, C>(
  source: ResourceSource<P, C>,
  changes: readonly C[],
  stream: SourceStream<P>,
): Touched {
  if (changes.length === 1) return source.touched(changes[0]!, stream);
  let names: Set<string> | undefined;
  for (const change of changes) {
    const touched = source.touched(change, stream);
    if (touched === 'all') return 'all';
    if (touched === 'none') continue;
    names ??= new Set();
    for (const name of touched) names.add(name);
  }
  return names === undefined ? 'none' : [...names];
}
