import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { EncodedResource } from './encoded-resource.ts';
import { XdsConnection, type ConnectionContext } from './connection.ts';
import type { ResourceMap, StreamProxy, Touched } from './resource-source.ts';
import type { KnownSubscription } from './shared-sets.ts';
import type { TypeState } from './type-state.ts';
import { decodeDiscoveryRequest, encodeDiscoveryResponse } from './wire.ts';

const EMPTY: ResourceMap = new Map();

/**
 * StreamAggregatedResources (state of the world). CDS and LDS responses carry every subscribed
 * resource (absence = removal); EDS and RDS responses carry only what changed.
 */
export class SotwConnection<P extends StreamProxy, C> extends XdsConnection<P, C> {
  constructor(call: ServerDuplexStream<Buffer, Buffer>, context: ConnectionContext<P, C>, id: string) {
    super('sotw', call, context, id);
  }

  protected handle(bytes: Buffer): void {
    const begun = this.begin(bytes, decodeDiscoveryRequest, 'DiscoveryRequest', (request) => ({
      names: request.resourceNames(),
      nonce: request.response_nonce ?? '',
    }));
    if (!begun) return;
    const { request, state, firstRequest } = begun;

    // As istiod: a type this stream was never sent is answered whatever nonce its request carries (an
    // Envoy reconnecting with the nonce of its previous stream, istioctl's client on its first request).
    const nonce = state.nonce === undefined ? '' : (request.response_nonce ?? '');
    if (nonce !== '' && nonce !== state.nonce) {
      // A newer response is in flight: this request answers an older one and is superseded.
      this.staleNonce(state);
      return;
    }
    if (nonce !== '') {
      if (request.error_detail) this.recordNack(state, request.error_detail.message ?? '', nonce);
      else {
        state.ackedVersion = request.version_info ?? '';
        this.recordAck(state);
      }
    }

    // An ACK repeating the subscription (same bytes) needs no names at all.
    let changed = false;
    if (firstRequest || request.namesDigest !== state.namesDigest) {
      const sharedSets = this.context.sharedSets;
      // Another stream sent the same names (same bytes): its subscription, without decoding a name.
      const known = sharedSets.knownSubscription(state.typeUrl, request.namesDigest);
      const available = known === undefined ? this.available(state) : EMPTY;
      changed =
        known !== undefined
          ? applyKnownSubscription(state, known, firstRequest)
          : updateSubscription(
              state,
              request.resourceNames(),
              firstRequest,
              // Keep the cache's copy of each name: a subscription of thousands of names then costs no strings per stream.
              (name) => available.get(name)?.name ?? name,
              // Streams of a view subscribe to the same names: one set for all of them (an idle stream holds none of its own).
              (names, requested) => sharedSets.subscriptionOf(state.typeUrl, request.namesDigest, names, requested),
            );
      state.namesDigest = request.namesDigest;
      if (changed) this.checkSubscriptionLimits(state);
    }
    if (firstRequest || changed || (nonce === '' && !firstRequest)) this.respond(state);
  }

  /** Sends the subscribed resources of one type if any of the touched ones changed (or all, when `resend`). */
  protected send(state: TypeState, resend: boolean, touched: Touched): void {
    if (!resend && touched === 'none') return;
    const started = performance.now();
    // A full-state type (CDS, LDS) always carries every subscribed resource: it is diffed whole.
    if (!resend && touched !== 'all' && touched !== 'none' && !state.allowsWildcard) {
      this.sendChanged(state, touched, started);
      return;
    }
    const current = state.select(this.available(state));
    const fullState = state.allowsWildcard;
    const changed: EncodedResource[] = [];
    // Resources new to this stream or changed: what Envoy warms again (server/xds/warming.ts).
    const fresh: string[] = [];
    for (const resource of current.values()) {
      const differs = state.sent.get(resource.name) !== resource;
      if (differs) fresh.push(resource.name);
      if (resend || differs || state.mustResend.has(resource.name)) changed.push(resource);
    }
    state.mustResend.clear();
    let removed = false;
    for (const name of [...state.sent.keys()]) {
      if (!current.has(name)) {
        state.sent.delete(name);
        removed = true;
      }
    }
    const mustAnswer = resend && (fullState || changed.length > 0);
    if (!mustAnswer && changed.length === 0 && !(fullState && removed)) return;

    const resources = fullState ? [...current.values()] : changed;
    state.nonce = this.nextNonce();
    state.version = this.context.sharedSets.versionOf(current);
    if (fullState || changed.length === current.size) state.sent.replaceAll(current);
    else for (const resource of resources) state.sent.set(resource.name, resource);
    const bytes = encodeDiscoveryResponse({
      versionInfo: state.version,
      resources,
      // Sending a shared set whole (CDS/LDS, or all EDS): its encoded bytes are built once for every stream.
      ...(resources.length === current.size
        ? { resourcesField: this.context.sharedSets.resourcesFieldOf(current) }
        : {}),
      typeUrl: state.typeUrl,
      nonce: state.nonce,
      controlPlane: this.context.controlPlane,
    });
    this.write(state, bytes, started);
    this.warm(state, fresh);
  }

  /**
   * A push that looks only at the touched names (not a full-state type, so a response carries
   * only what changed): its cost follows the change, not the size of the subscription.
   */
  private sendChanged(state: TypeState, touched: readonly string[], started: number): void {
    const available = this.available(state);
    const changed: EncodedResource[] = [];
    for (const name of touched) {
      const resource = available.get(name);
      if (resource === undefined) state.sent.delete(name);
      else if (state.wants(name) && (state.sent.get(name) !== resource || state.mustResend.has(name)))
        changed.push(resource);
    }
    state.mustResend.clear();
    if (changed.length === 0) return;
    // Chained from the previous version: hashing the whole subscription would cost O(subscribed).
    // Every stream of a view pushed the same change sends the same resources: encoded once for all.
    const { field, version } = this.context.sharedSets.changedSetOf(touched, changed, state.version ?? '');
    state.version = version;
    state.nonce = this.nextNonce();
    for (const resource of changed) state.sent.set(resource.name, resource);
    const bytes = encodeDiscoveryResponse({
      versionInfo: state.version,
      resources: changed,
      resourcesField: field,
      typeUrl: state.typeUrl,
      nonce: state.nonce,
      controlPlane: this.context.controlPlane,
    });
    this.write(state, bytes, started);
  }
}

/**
 * xDS subscription rules: for CDS/LDS an empty first request means wildcard (legacy) and keeps
 * meaning it while the list stays empty; `*` asks for wildcard explicitly; once a client names
 * resources, an empty list means "none".
 */
export function updateSubscription(
  state: TypeState,
  names: readonly string[],
  firstRequest: boolean,
  canonical: (name: string) => string = (name) => name,
  share: (names: Set<string>, requested: readonly string[]) => ReadonlySet<string> = (names) => names,
): boolean {
  if (firstRequest && names.length === 0 && state.allowsWildcard) state.legacyWildcard = true;
  if (names.length > 0) state.legacyWildcard = false;
  const wildcard = state.allowsWildcard && (state.legacyWildcard || names.includes('*'));
  // An ACK repeats the subscription: recognise that without copying, rebuilding or sorting anything.
  if (wildcard === state.wildcard && sameNames(names, state.names)) return false;
  const listed = new Set<string>();
  for (const name of names) if (name !== '*') listed.add(canonical(name));
  state.wildcard = wildcard;
  state.names = share(listed, names);
  return true;
}

/** updateSubscription for a request whose names are those of a known subscription (same digest). */
export function applyKnownSubscription(state: TypeState, known: KnownSubscription, firstRequest: boolean): boolean {
  if (firstRequest && !known.listed && state.allowsWildcard) state.legacyWildcard = true;
  if (known.listed) state.legacyWildcard = false;
  const wildcard = state.allowsWildcard && (state.legacyWildcard || known.star);
  if (wildcard === state.wildcard && sameSet(known.names, state.names)) return false;
  state.wildcard = wildcard;
  state.names = known.names;
  return true;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const name of a) if (!b.has(name)) return false;
  return true;
}

/** Whether a request's names (maybe with `*` and duplicates) are exactly the subscribed set. */
function sameNames(names: readonly string[], subscribed: ReadonlySet<string>): boolean {
  let listed = 0;
  for (const name of names) {
    if (name === '*') continue;
    if (!subscribed.has(name)) return false;
    listed += 1;
  }
  return listed === subscribed.size || new Set(names.filter((name) => name !== '*')).size === subscribed.size;
}
