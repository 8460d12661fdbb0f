import { randomBytes } from 'node:crypto';
import protobuf from 'protobufjs';
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isKnownTypeUrl, PUSH_ORDER, shortTypeName, type XdsTypeUrl } from '../../protos/type-urls.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { AuthenticatedIdentity } from './authenticated-identity.ts';
import { enableFramedWrites } from './grpc-framed-writes.ts';
import { releaseReadBuffers } from './grpc-read-buffers.ts';
import { isDebugTypeUrl, type DebugResponder, type DebugResource } from './debug-types.ts';
import { mergePending, type PendingChanges } from './pending-changes.ts';
import {
  touchedByAll,
  type ProxyIdentifier,
  type ResourceMap,
  type ResourceSources,
  type SourceStream,
  type StreamProxy,
  type Touched,
} from './resource-source.ts';
import type { SharedSets } from './shared-sets.ts';
import type { StreamLimits } from './stream-limits.ts';
import { TypeState } from './type-state.ts';
import { namesToWarm, WARMING_DEPENDENT } from './warming.ts';
import { encodeDiscoveryResponse, type ControlPlaneId, type NodeMessage } from './wire.ts';
import type { BudgetWaiter, WriteBudget } from './write-budget.ts';

const EMPTY: ResourceMap = new Map();

export interface ConnectionContext<P extends StreamProxy, C> {
  readonly sources: ResourceSources<P, C>;
  readonly identify: ProxyIdentifier<P>;
  readonly sharedSets: SharedSets;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly controlPlane: ControlPlaneId;
  readonly register: (connection: XdsConnection<P, C>) => void;
  readonly unregister: (connection: XdsConnection<P, C>) => void;
  readonly limits: StreamLimits;
  /** Answers Istio's debug types (istio.io/debug/*); without it they are unknown types. */
  readonly debug?: DebugResponder;
  /** Unflushed response bytes over every stream: a push starts only while there is room (write-budget.ts). */
  readonly writeBudget?: WriteBudget;
}

export class RequestError extends Error {
  readonly code = 'MESHPILOT_ERR_XDS_REQUEST';
  readonly reason: string;
  /** The gRPC status the stream ends with. */
  readonly grpcCode: status;
  constructor(reason: string, message: string, grpcCode: status = status.INVALID_ARGUMENT) {
    super(message);
    this.reason = reason;
    this.grpcCode = grpcCode;
  }
}

/** A stream asked for more than a limit allows: it ends with RESOURCE_EXHAUSTED naming the limit. */
export function limitExceeded(limit: keyof StreamLimits, value: number, message: string): RequestError {
  return new RequestError(limit, `xdsServer.${limit} (${value}) exceeded: ${message}`, status.RESOURCE_EXHAUSTED);
}

/** What ADS SotW and Delta streams share: proxy identity, per-type state, nonces, ending with a status. */
export abstract class XdsConnection<P extends StreamProxy = StreamProxy, C = unknown> implements BudgetWaiter {
  readonly id: string;
  readonly kind: 'sotw' | 'delta';
  readonly connectedAt = new Date().toISOString();
  proxy: P | undefined;
  /** Set by the TLS listener before the first request; undefined on plaintext streams. */
  authenticated: AuthenticatedIdentity | undefined;
  protected readonly types = new Map<XdsTypeUrl, TypeState>();
  protected readonly context: ConnectionContext<P, C>;
  readonly call: ServerDuplexStream<Buffer, Buffer>;
  private nonceCounter = 0;
  private readonly noncePrefix = randomBytes(3).toString('hex');
  private closed = false;
  private readonly warnedUnknownTypes = new Set<string>();
  /** What sources see of this stream (set once the proxy is identified). */
  private sourceStream: SourceStream<P> | undefined;

  protected constructor(
    kind: 'sotw' | 'delta',
    call: ServerDuplexStream<Buffer, Buffer>,
    context: ConnectionContext<P, C>,
    id: string,
  ) {
    this.kind = kind;
    this.call = call;
    this.context = context;
    this.id = id;
    enableFramedWrites(call);
    call.on('data', (bytes: Buffer) => this.onData(bytes));
    // A connection destroyed (keepalive) also ends the request side: look one turn later whether it was cancelled.
    call.on('end', () => setImmediate(() => (call.cancelled ? this.lost() : this.close())));
    // The peer reset the stream or its connection went away (e.g. closed by keepalive: a dead peer).
    call.on('error', () => this.lost());
    call.on('cancelled', () => this.lost());
    call.on('close', () => this.lost());
  }

  protected abstract handle(bytes: Buffer): void;
  /**
   * Sends, for one subscribed type, what changed among the `touched` resources; with `resend`
   * (an answer to a request) the type's whole current state as the protocol asks.
   */
  protected abstract send(state: TypeState, resend: boolean, touched: Touched): void;

  /** While the client does not read, pushes wait here, merged: it gets only the newest state. */
  private blocked = false;
  /** Responses handed to gRPC whose bytes have not been flushed to the connection yet. */
  private unflushed = 0;
  private pendingChanges: PendingChanges<C> = [];
  private readonly pendingResends = new Set<XdsTypeUrl>();
  /** When the change now being pushed was first seen (for the convergence metric). */
  changeSeenAt: number | undefined;

  /**
   * Sends whatever `changes` touched (`all`: anything that differs from what was sent) for every
   * subscribed type, in CDS, EDS, LDS, RDS order. A stream whose client stopped reading is skipped
   * until it drains, then gets the latest state once.
   */
  push(changes: PendingChanges<C> = 'all', changeSeenAt?: number): void {
    if (changeSeenAt !== undefined) this.changeSeenAt = changeSeenAt;
    if (this.closed || !this.proxy) return;
    if (this.unflushed > 0 || !this.roomToSend()) {
      // The previous push has not left yet (a slow or stuck reader), or every stream's unflushed bytes
      // fill the write budget: merge, send the newest once there is room.
      this.setBlocked(true);
      this.pendingChanges = mergePending(this.pendingChanges, changes);
      return;
    }
    this.pushing = true;
    try {
      for (const typeUrl of PUSH_ORDER) {
        const state = this.types.get(typeUrl);
        if (state === undefined || state.requests === 0) continue;
        // CDS went first: the EDS assignments of the clusters it changed go with this push (warming).
        const touched = withNames(this.touched(state, changes), state.mustResend);
        if (touched !== 'none') this.send(state, false, touched);
      }
    } finally {
      this.pushing = false;
    }
  }

  /** True inside push(): dependents marked for warming are sent in their turn, in push order. */
  private pushing = false;

  /**
   * After a response of `state`'s type carried `changed` (resources new to this stream or changed),
   * marks what Envoy now waits for (server/xds/warming.ts) and, outside a push, sends it at once.
   */
  protected warm(state: TypeState, changed: readonly string[]): void {
    const dependentType = WARMING_DEPENDENT.get(state.typeUrl);
    const dependent = dependentType === undefined ? undefined : this.types.get(dependentType);
    if (dependent === undefined || dependent.requests === 0) return;
    for (const name of namesToWarm(state.typeUrl, changed, dependent)) dependent.mustResend.add(name);
    if (!this.pushing && dependent.mustResend.size > 0) this.send(dependent, false, [...dependent.mustResend]);
  }

  /** Which resources of a type the changes touched, as its source says. */
  private touched(state: TypeState, changes: PendingChanges<C>): Touched {
    if (changes === 'all') return 'all';
    const source = this.context.sources.get(state.typeUrl);
    if (source === undefined || changes.length === 0) return 'none';
    return touchedByAll(source, changes, this.stream());
  }

  /**
   * Answers a request now, or, while an earlier response has not left (a slow or stuck reader),
   * once the stream drains: repeated requests then cost one answer per type, with the newest state.
   */
  protected respond(state: TypeState): void {
    if (this.blocked || this.unflushed > 0 || !this.roomToSend()) {
      this.setBlocked(true);
      this.pendingResends.add(state.typeUrl);
    } else this.send(state, true, 'all');
  }

  /** Answers waiting for the stream to drain (at most one per type). */
  get queuedAnswers(): number {
    return this.pendingResends.size;
  }

  /** Ends the stream if its subscriptions exceed the per-type or per-stream limit. */
  protected checkSubscriptionLimits(state: TypeState): void {
    const { maxSubscribedNamesPerType, maxSubscribedNamesPerStream } = this.context.limits;
    const count = state.names.size;
    if (count > maxSubscribedNamesPerType)
      throw limitExceeded(
        'maxSubscribedNamesPerType',
        maxSubscribedNamesPerType,
        `${count} ${shortTypeName(state.typeUrl)} resource names subscribed on one stream`,
      );
    let total = 0;
    for (const other of this.types.values()) total += other.names.size;
    if (total > maxSubscribedNamesPerStream)
      throw limitExceeded(
        'maxSubscribedNamesPerStream',
        maxSubscribedNamesPerStream,
        `${total} resource names subscribed on one stream`,
      );
  }

  private setBlocked(blocked: boolean): void {
    if (blocked === this.blocked) return;
    this.blocked = blocked;
    if (blocked) this.context.metrics.blockedStreams.inc();
    else this.context.metrics.blockedStreams.dec();
  }

  /** True when the server's write budget has room; otherwise waits for it (onBudget) and says false. */
  private roomToSend(): boolean {
    const budget = this.context.writeBudget;
    if (budget === undefined || budget.hasRoom()) return true;
    budget.wait(this);
    return false;
  }

  /** The write budget has room again: send what waited, unless an own response is still unflushed (its write then does). */
  onBudget(): void {
    if (!this.closed && this.blocked && this.unflushed === 0) this.onDrain();
  }

  private onDrain(): void {
    this.setBlocked(false);
    const changes = this.pendingChanges;
    this.pendingChanges = [];
    for (const typeUrl of [...this.pendingResends]) {
      this.pendingResends.delete(typeUrl);
      const state = this.types.get(typeUrl);
      if (state && !this.blocked) this.send(state, true, 'all');
    }
    if (!this.blocked) this.push(changes);
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  typeStates(): readonly TypeState[] {
    return [...this.types.values()];
  }

  private onData(bytes: Buffer): void {
    if (this.closed) return;
    try {
      this.handle(bytes);
      // grpc-js would keep this request's bytes until the next one: an idle stream holds none.
      releaseReadBuffers(this.call);
    } catch (error: unknown) {
      if (error instanceof RequestError) this.fail(error.reason, error.message, error.grpcCode);
      else {
        this.context.metrics.internalErrors.inc();
        this.fail('internal', error instanceof Error ? error.message : String(error));
      }
    }
  }

  /** The proxy's ISTIO_VERSION metadata: istiod's pilot_xds label. */
  private istioVersion = 'unknown';

  /** On the first request: identify the proxy from its node, or end the stream. */
  protected identify(node: NodeMessage | undefined): P {
    if (this.proxy) return this.proxy;
    const identified = this.context.identify(node);
    if (!identified.ok) throw new RequestError('node', identified.error);
    this.proxy = identified.proxy;
    this.context.register(this);
    const version = node?.metadata?.['ISTIO_VERSION'];
    this.istioVersion = typeof version === 'string' && version !== '' ? version : 'unknown';
    this.context.metrics.connectedStreams.inc({ version: this.istioVersion, kind: this.kind });
    this.context.logger.info(
      {
        connection: this.id,
        proxy: identified.proxy.id,
        kind: this.kind,
        authenticatedAs: this.authenticated?.spiffeId,
        ...identified.logFields,
      },
      'proxy connected',
    );
    if (identified.warning !== undefined) {
      this.context.logger.warn(
        { connection: this.id, proxy: identified.proxy.id, code: identified.warning.code, ...identified.logFields },
        identified.warning.message,
      );
    }
    return identified.proxy;
  }

  /** This stream as its sources see it. */
  protected stream(): SourceStream<P> {
    if (this.sourceStream) return this.sourceStream;
    const proxy = this.proxy;
    if (proxy === undefined) throw new Error('a stream is served only after its proxy is identified');
    const connection = this as XdsConnection<P, C>;
    this.sourceStream = {
      id: this.id,
      proxy,
      get authenticated() {
        return connection.authenticated;
      },
      get isClosed() {
        return connection.isClosed;
      },
      subscribed: (typeUrl) => this.types.get(typeUrl)?.names ?? new Set(),
      push: () => this.push(),
    };
    return this.sourceStream;
  }

  /**
   * The common start of every request: decode it, identify the proxy on the first one, and find
   * the state of its type (undefined for a type meshpilot does not serve).
   */
  protected begin<R extends { readonly node?: NodeMessage; readonly type_url?: string }>(
    bytes: Buffer,
    decode: (bytes: Uint8Array) => R,
    messageName: string,
    debug?: (request: R) => { names: readonly string[]; nonce: string },
  ): { request: R; state: TypeState; firstRequest: boolean } | undefined {
    let request: R;
    try {
      request = decode(bytes);
    } catch (error: unknown) {
      throw new RequestError(
        'decode',
        `${messageName} does not decode: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // A debug request needs no proxy identity: istioctl's stream is a client of the control plane, not a proxy.
    if (debug !== undefined && this.context.debug !== undefined && isDebugTypeUrl(request.type_url)) {
      const { names, nonce } = debug(request);
      this.answerDebug(this.context.debug, request.type_url, names, nonce);
      return undefined;
    }
    this.identify(request.node);
    const state = this.stateFor(request.type_url);
    if (!state) return undefined;
    const firstRequest = state.requests === 0;
    state.requests += 1;
    return { request, state, firstRequest };
  }

  /** The state for a type URL, or undefined (and counted) for a type meshpilot does not serve. */
  protected stateFor(typeUrl: string | undefined): TypeState | undefined {
    if (!typeUrl)
      throw new RequestError('type_url', 'type_url is empty: every ADS request must name its resource type');
    if (!isKnownTypeUrl(typeUrl)) {
      this.context.metrics.unknownTypeRequests.inc();
      // Remembered by a bounded prefix: a client's type URL can be as long as its message.
      const remembered = typeUrl.slice(0, 256);
      if (!this.warnedUnknownTypes.has(remembered)) {
        const max = this.context.limits.maxUnknownTypeUrls;
        if (this.warnedUnknownTypes.size >= max)
          throw limitExceeded('maxUnknownTypeUrls', max, `more than ${max} distinct unknown type URLs requested`);
        this.warnedUnknownTypes.add(remembered);
        this.context.logger.warn(
          { connection: this.id, typeUrl: remembered },
          'request for an unknown type URL ignored',
        );
      }
      return undefined;
    }
    let state = this.types.get(typeUrl);
    if (!state) this.types.set(typeUrl, (state = new TypeState(typeUrl)));
    return state;
  }

  /** The nonce of the last debug answer per debug type (a few types: istioctl asks one per stream). */
  private readonly debugNonces = new Map<string, string>();

  /**
   * Answers a debug request at once, as istiod's StatusGen: the first request of a type (whatever
   * nonce it carries: istioctl's client sends one on its first request) is answered; later ones that
   * carry a nonce are ACKs (or stale) and need nothing.
   */
  private answerDebug(responder: DebugResponder, typeUrl: string, names: readonly string[], nonce: string): void {
    if (this.debugNonces.has(typeUrl) && nonce !== '') return;
    if (!this.debugNonces.has(typeUrl) && this.debugNonces.size >= MAX_DEBUG_TYPES)
      throw limitExceeded('maxUnknownTypeUrls', MAX_DEBUG_TYPES, `more than ${MAX_DEBUG_TYPES} debug types asked`);
    const answer = responder.answer({ typeUrl, names, authenticated: this.authenticated });
    if (!answer.ok) throw new RequestError('debug', answer.message, answer.code);
    const responseNonce = this.nextNonce();
    this.debugNonces.set(typeUrl, responseNonce);
    const bytes = encodeDiscoveryResponse({
      versionInfo: new Date().toISOString(),
      resources: [],
      resourcesField: encodeDebugResources(answer.resources),
      typeUrl,
      nonce: responseNonce,
      controlPlane: responder.controlPlane,
    });
    if (!this.closed) this.call.write(bytes);
  }

  protected available(state: TypeState): ResourceMap {
    return this.context.sources.get(state.typeUrl)?.resources(this.stream()) ?? EMPTY;
  }

  protected nextNonce(): string {
    this.nonceCounter += 1;
    return `${this.noncePrefix}-${this.nonceCounter}`;
  }

  /** An ACK of the latest response: the proxy has converged on the change it carried. */
  protected recordAck(state: TypeState): void {
    if (state.sentChangeAt !== undefined) {
      this.context.metrics.convergenceTime.observe((performance.now() - state.sentChangeAt) / 1000);
      state.sentChangeAt = undefined;
    }
  }

  /** A request answering an older response than the one in flight (istiod: pilot_xds_expired_nonce). */
  protected staleNonce(state: TypeState): void {
    this.context.metrics.staleNonces.inc();
    this.context.metrics.expiredNonces.inc({ type: shortTypeName(state.typeUrl) });
  }

  protected recordNack(state: TypeState, fullMessage: string, nonce: string): void {
    const message = truncate(fullMessage, this.context.limits.maxNackMessageBytes);
    state.lastNack = {
      message,
      nonce,
      ...(state.version ? { version: state.version } : {}),
      at: new Date().toISOString(),
    };
    this.context.metrics.rejects.inc({ type: shortTypeName(state.typeUrl) });
    this.context.logger.warn(
      { connection: this.id, proxy: this.proxy?.id, type: shortTypeName(state.typeUrl), nonce, error: message },
      'NACK',
    );
  }

  protected write(state: TypeState, bytes: Buffer, started: number): void {
    if (this.closed) return;
    this.unflushed += 1;
    const release = this.context.writeBudget?.charge(bytes.length);
    this.call.write(bytes, () => {
      this.unflushed -= 1;
      release?.();
      if (this.unflushed === 0 && this.blocked && !this.closed && this.roomToSend()) this.onDrain();
    });
    state.sentAtMs = Date.now();
    state.sentChangeAt = this.changeSeenAt;
    const type = shortTypeName(state.typeUrl);
    this.context.metrics.pushes.inc({ type });
    this.context.metrics.configSize.observe({ type }, bytes.length);
    this.context.metrics.pushTime.observe({ type }, (performance.now() - started) / 1000);
    const logger = this.context.logger;
    if (logger.isLevelEnabled('debug'))
      logger.debug(
        { connection: this.id, proxy: this.proxy?.id, type, nonce: state.nonce, version: state.version },
        'push',
      );
  }

  /** Ended by the peer or its connection, not by the client finishing nor by the server: counted. */
  private lost(): void {
    if (!this.closed && !this.failing) this.context.metrics.cancelledStreams.inc();
    this.close();
  }

  private failing = false;

  protected fail(reason: string, message: string, code: status = status.INVALID_ARGUMENT): void {
    if (this.closed) return;
    this.failing = true;
    this.context.metrics.malformedRequests.inc({ reason });
    this.context.logger.warn(
      { connection: this.id, proxy: this.proxy?.id, reason, error: message },
      'stream ended: invalid request',
    );
    const grpcCode = reason === 'internal' ? status.INTERNAL : code;
    this.call.emit('error', { code: grpcCode, details: message, message, name: 'RequestError' });
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.setBlocked(false);
    this.closed = true;
    this.context.writeBudget?.forget(this);
    // Release what the stream held: its sources' records of it, its per-type state, waiting pushes.
    const stream = this.sourceStream;
    if (stream !== undefined) for (const source of this.context.sources.values()) source.released?.(stream);
    this.sourceStream = undefined;
    this.types.clear();
    this.pendingChanges = [];
    this.pendingResends.clear();
    if (this.proxy) {
      this.context.unregister(this);
      this.context.metrics.connectedStreams.dec({ version: this.istioVersion, kind: this.kind });
      this.context.logger.info({ connection: this.id, proxy: this.proxy.id, kind: this.kind }, 'proxy disconnected');
    }
  }
}

/** `touched` plus the names that must be sent again (warming). */
function withNames(touched: Touched, names: ReadonlySet<string>): Touched {
  if (names.size === 0 || touched === 'all') return touched;
  if (touched === 'none') return [...names];
  return [...new Set([...touched, ...names])];
}

/** Debug types one stream may ask (istiod has three; istioctl asks one per stream). */
const MAX_DEBUG_TYPES = 8;

/** The `resources` field (2) of a DiscoveryResponse holding these Anys. */
function encodeDebugResources(resources: readonly DebugResource[]): Buffer {
  const writer = protobuf.Writer.create();
  for (const resource of resources)
    writer.uint32(18).fork().uint32(10).string(resource.typeUrl).uint32(18).bytes(resource.value).ldelim();
  return Buffer.from(writer.finish());
}

/** The first `max` bytes of a client's message (UTF-8), saying how much was left out. */
function truncate(message: string, max: number): string {
  const bytes = Buffer.byteLength(message);
  if (bytes <= max) return message;
  const kept = Buffer.from(message)
    .subarray(0, max)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${kept}… (${bytes - max} more bytes; xdsServer.maxNackMessageBytes is ${max})`;
}
