import { Server, ServerCredentials, status, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.ts';
import type { AuthenticatedIdentity } from './authenticated-identity.ts';
import type { ConnectionContext, XdsConnection } from './connection.ts';
import type { DebugResponder } from './debug-types.ts';
import { DeltaConnection } from './delta-connection.ts';
import { SotwConnection } from './sotw-connection.ts';
import { PushQueue } from './push-queue.ts';
import type { ProxyIdentifier, ResourceSources, StreamProxy } from './resource-source.ts';
import { SharedSets } from './shared-sets.ts';
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from './stream-limits.ts';
import { WriteBudget } from './write-budget.ts';
import type { ControlPlaneId } from './wire.ts';

const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
const passThrough = (bytes: Buffer): Buffer => bytes;

/** ADS with raw bytes on the wire: requests are decoded by the connection, responses pre-encoded. */
export const ADS_SERVICE: ServiceDefinition = {
  StreamAggregatedResources: {
    path: `${ADS}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
  },
  DeltaAggregatedResources: {
    path: `${ADS}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
  },
};

export interface XdsServerOptions<P extends StreamProxy, C> {
  /** Where each type's resources come from (see resource-source.ts); a type without a source is served empty. */
  readonly sources: ResourceSources<P, C>;
  /** Who a stream's proxy is, from the node of its first request. */
  readonly identify: ProxyIdentifier<P>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly controlPlane: ControlPlaneId;
  /** What one stream may make the server remember (defaults: DEFAULT_STREAM_LIMITS). */
  readonly limits?: Partial<StreamLimits>;
  /** Answers Istio's debug types (istio.io/debug/*) asked by istioctl. */
  readonly debug?: DebugResponder;
  /** Unflushed response bytes over all streams before pushes wait (default DEFAULT_WRITE_BUDGET_BYTES; 0: no limit). */
  readonly writeBudgetBytes?: number;
}

export type StreamAuthentication =
  { ok: true; identity: AuthenticatedIdentity } | { ok: false; code: status; message: string };

/** Decides who opened a stream (TLS peer certificate, bearer token) before its first request is read. */
export type StreamAuthenticator = (call: ServerDuplexStream<Buffer, Buffer>) => Promise<StreamAuthentication>;

export interface AddToServerOptions {
  /** Set on the TLS listener: streams that fail it end with its status; others carry the identity. */
  readonly authenticate?: StreamAuthenticator;
}

/**
 * The ADS service: accepts streams, keeps the connected ones, pushes changes to them. `P` is the
 * proxy as the injected identifier describes it, `C` a change as the publisher describes it.
 */
export class XdsService<P extends StreamProxy = StreamProxy, C = unknown> {
  private readonly connections = new Map<string, XdsConnection<P, C>>();
  private readonly context: ConnectionContext<P, C>;
  private streamCounter = 0;
  private readonly queue: PushQueue<P, C>;
  /** While set, new streams end with UNAVAILABLE and this reason (the port is up, the first snapshot is not). */
  private holdReason: string | undefined;

  constructor(options: XdsServerOptions<P, C>) {
    this.context = {
      ...options,
      sharedSets: new SharedSets(),
      ...(options.writeBudgetBytes === 0 ? {} : { writeBudget: new WriteBudget(options.writeBudgetBytes) }),
      limits: { ...DEFAULT_STREAM_LIMITS, ...options.limits },
      register: (connection) => this.connections.set(connection.id, connection),
      unregister: (connection) => this.connections.delete(connection.id),
    };
    this.queue = new PushQueue(options.metrics);
  }

  addTo(server: Server, options: AddToServerOptions = {}): void {
    const open = (kind: 'sotw' | 'delta', call: ServerDuplexStream<Buffer, Buffer>): XdsConnection<P, C> =>
      kind === 'sotw'
        ? new SotwConnection(call, this.context, this.nextId())
        : new DeltaConnection(call, this.context, this.nextId());
    const accept =
      (kind: 'sotw' | 'delta') =>
      (call: ServerDuplexStream<Buffer, Buffer>): void => {
        if (this.holdReason !== undefined) {
          // As istiod: "server is not ready to serve discovery information"; clients retry with backoff.
          const message = `meshpilot is not ready to serve discovery information: ${this.holdReason}`;
          call.emit('error', { code: status.UNAVAILABLE, details: message, message, name: 'NotReady' });
          return;
        }
        const authenticate = options.authenticate;
        if (authenticate === undefined) {
          open(kind, call);
          return;
        }
        // No 'data' listener is attached until the stream is authenticated, so its requests wait buffered.
        authenticate(call).then(
          (result) => {
            if (call.cancelled) return;
            if (!result.ok) {
              this.context.logger.warn(
                { peer: call.getPeer(), code: 'MESHPILOT_ERR_XDS_UNAUTHENTICATED', reason: result.message },
                'xDS stream refused: authentication failed',
              );
              call.emit('error', {
                code: result.code,
                details: result.message,
                message: result.message,
                name: 'AuthenticationError',
              });
              return;
            }
            const connection = open(kind, call);
            connection.authenticated = result.identity;
          },
          (error: unknown) => {
            const message = `authentication failed: ${error instanceof Error ? error.message : String(error)}`;
            this.context.logger.error(
              { peer: call.getPeer(), code: 'MESHPILOT_ERR_XDS_UNAUTHENTICATED', reason: message },
              'xDS stream refused',
            );
            call.emit('error', { code: status.INTERNAL, details: message, message, name: 'AuthenticationError' });
          },
        );
      };
    server.addService(ADS_SERVICE, {
      StreamAggregatedResources: accept('sotw'),
      DeltaAggregatedResources: accept('delta'),
    });
  }

  /** New streams end with UNAVAILABLE (`reason`) until release(): the port can listen before there is anything to serve. */
  hold(reason: string): void {
    this.holdReason = reason;
  }

  release(): void {
    this.holdReason = undefined;
  }

  /** Why new streams are refused, if they are. */
  heldBecause(): string | undefined {
    return this.holdReason;
  }

  private nextId(): string {
    this.streamCounter += 1;
    return `stream-${this.streamCounter}`;
  }

  /**
   * Queues a push of what `change` touched (each type's source says what) to every connected stream:
   * the ADS server as a subscriber of the changes its sources are generated from.
   */
  publish(change: C, changeSeenAt?: number): void {
    for (const connection of this.connections.values()) this.queue.enqueue(connection, [change], changeSeenAt);
  }

  pendingPushes(): number {
    return this.queue.size();
  }

  /** Pushes one stream (e.g. when its SDS certificate is ready); false when it is gone. */
  pushConnection(id: string): boolean {
    const connection = this.connections.get(id);
    if (connection === undefined) return false;
    connection.push();
    return true;
  }

  connected(): readonly XdsConnection<P, C>[] {
    return [...this.connections.values()];
  }

  closeAll(): void {
    this.queue.clear();
    for (const connection of this.connections.values()) connection.close();
  }
}

export async function listenGrpc(
  server: Server,
  address: string,
  credentials: ServerCredentials = ServerCredentials.createInsecure(),
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port)));
  });
}
