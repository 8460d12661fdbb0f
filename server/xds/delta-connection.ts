import type { ServerDuplexStream } from '@grpc/grpc-js';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import { setVersion, type EncodedResource } from './encoded-resource.ts';
import { limitExceeded, XdsConnection, type ConnectionContext } from './connection.ts';
import type { StreamProxy, Touched } from './resource-source.ts';
import type { TypeState } from './type-state.ts';
import { decodeDeltaDiscoveryRequest, encodeDeltaDiscoveryResponse } from './wire.ts';

/**
 * DeltaAggregatedResources (incremental). The client's known versions are tracked per resource;
 * a response carries changed resources whole and names removed ones in removed_resources.
 */
export class DeltaConnection<P extends StreamProxy, C> extends XdsConnection<P, C> {
  /** Per type: name → version the client holds (from initial_resource_versions and our sends). */
  private readonly held = new Map<string, Map<string, string>>();

  constructor(call: ServerDuplexStream<Buffer, Buffer>, context: ConnectionContext<P, C>, id: string) {
    super('delta', call, context, id);
  }

  protected handle(bytes: Buffer): void {
    const begun = this.begin(bytes, decodeDeltaDiscoveryRequest, 'DeltaDiscoveryRequest');
    if (!begun) return;
    const { request, state, firstRequest } = begun;

    const nonce = request.response_nonce ?? '';
    if (nonce !== '') {
      if (nonce !== state.nonce) this.staleNonce(state);
      else if (request.error_detail) this.recordNack(state, request.error_detail.message ?? '', nonce);
      else {
        state.ackedVersion = state.version;
        this.recordAck(state);
      }
    }

    const subscribe = request.resource_names_subscribe ?? [];
    const unsubscribe = request.resource_names_unsubscribe ?? [];
    if (firstRequest) {
      const initial = Object.entries(request.initial_resource_versions ?? {});
      const max = this.context.limits.maxSubscribedNamesPerType;
      if (initial.length > max)
        throw limitExceeded('maxSubscribedNamesPerType', max, `${initial.length} initial_resource_versions`);
      this.held.set(state.typeUrl, new Map(initial));
      if (subscribe.length === 0 && state.allowsWildcard) state.wildcard = true;
    }
    for (const name of subscribe) {
      if (name === '*') state.wildcard = state.allowsWildcard;
      else state.ownNames().add(name);
    }
    for (const name of unsubscribe) {
      if (name === '*') state.wildcard = false;
      else state.ownNames().delete(name);
      if (!state.wants(name)) {
        state.sent.delete(name);
        this.heldBy(state).delete(name);
      }
    }
    if (subscribe.length > 0) this.checkSubscriptionLimits(state);
    if (firstRequest || subscribe.length > 0 || unsubscribe.length > 0) {
      // An explicit (re-)subscribe is answered even if unchanged, except on a reconnect for what the
      // client says it still holds (initial_resource_versions): that is sent only if it changed.
      const held = this.heldBy(state);
      for (const name of subscribe) if (!(firstRequest && held.has(name))) this.resendNames(state).add(name);
      if (firstRequest) this.initial.add(state.typeUrl);
      this.respond(state);
    }
  }

  /** Names explicitly (re-)subscribed since the last response of a type: sent even if unchanged. */
  private readonly resubscribed = new Map<string, Set<string>>();
  private readonly initial = new Set<string>();

  private resendNames(state: TypeState): Set<string> {
    let names = this.resubscribed.get(state.typeUrl);
    if (!names) this.resubscribed.set(state.typeUrl, (names = new Set()));
    return names;
  }

  /**
   * Sends resources whose version the client does not hold, and removals of resources it holds
   * that are gone. `resend` names are sent even when unchanged (an explicit re-subscribe).
   */
  private heldBy(state: TypeState): Map<string, string> {
    let map = this.held.get(state.typeUrl);
    if (!map) this.held.set(state.typeUrl, (map = new Map()));
    return map;
  }

  /** After the first CDS answer: every EDS name the stream subscribed to (see send). */
  private dependentNames(state: TypeState): readonly string[] {
    if (state.typeUrl !== CLUSTER_TYPE) return [];
    return [...(this.types.get(ENDPOINT_TYPE)?.names ?? [])];
  }

  protected send(state: TypeState, respond: boolean, touched: Touched): void {
    if (!respond && touched === 'none') return;
    const started = performance.now();
    const initial = respond && this.initial.delete(state.typeUrl);
    const resend = respond ? this.resendNames(state) : new Set<string>();
    this.resubscribed.delete(state.typeUrl);
    const available = this.available(state);
    const held = this.heldBy(state);
    const changed: EncodedResource[] = [];
    const removed: string[] = [];
    if (!respond && touched !== 'all' && touched !== 'none') {
      // Only the touched names can differ from what the client holds.
      for (const name of touched) {
        const resource = available.get(name);
        if (resource && state.wants(name) && (held.get(name) !== resource.version || state.mustResend.has(name)))
          changed.push(resource);
        else if (resource === undefined && held.delete(name)) {
          state.sent.delete(name);
          if (state.wants(name)) removed.push(name);
        }
      }
    } else {
      const current = state.select(available);
      for (const resource of current.values()) {
        const { name, version } = resource;
        if (held.get(name) !== version || resend.has(name) || state.mustResend.has(name)) changed.push(resource);
      }
      for (const name of [...held.keys()]) {
        if (current.has(name)) continue;
        held.delete(name);
        state.sent.delete(name);
        if (state.wants(name)) removed.push(name);
      }
    }
    state.mustResend.clear();
    // What Envoy warms again: the resources it did not hold; after the first CDS answer of a stream,
    // every subscribed assignment (istiod's forceEDSPush: Delta Envoy may not re-request them, envoy#33607).
    const fresh = changed.filter((resource) => held.get(resource.name) !== resource.version).map((r) => r.name);
    const warming = initial ? [...new Set([...fresh, ...this.dependentNames(state)])] : fresh;
    if (changed.length === 0 && removed.length === 0 && !(initial && state.wildcard)) {
      this.warm(state, warming);
      return;
    }

    state.nonce = this.nextNonce();
    state.version = setVersion([
      { name: '', version: state.version ?? '' },
      ...changed,
      ...removed.map((name) => ({ name, version: '-' })),
    ]);
    for (const resource of changed) {
      state.sent.set(resource.name, resource);
      held.set(resource.name, resource.version);
    }
    const bytes = encodeDeltaDiscoveryResponse({
      systemVersionInfo: state.version,
      resources: changed,
      typeUrl: state.typeUrl,
      removedResources: removed.sort(),
      nonce: state.nonce,
      controlPlane: this.context.controlPlane,
    });
    this.write(state, bytes, started);
    this.warm(state, warming);
  }
}
