import { Server, ServerCredentials, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { XdsCache } from '../cache/xds-cache.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { ConnectionContext, ProxyResourceSource, XdsConnection } from './connection.ts';
import { DeltaConnection } from './delta-connection.ts';
import { SotwConnection } from './sotw-connection.ts';
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

export interface XdsServerOptions {
  readonly cache: XdsCache;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly controlPlane: ControlPlaneId;
  /** Per-proxy sources by type URL (e.g. SDS); other types come from the view cache. */
  readonly proxySources?: ReadonlyMap<string, ProxyResourceSource>;
}

/** The ADS service: accepts streams, keeps the connected ones, pushes to them on request. */
export class XdsService {
  private readonly connections = new Map<string, XdsConnection>();
  private readonly context: ConnectionContext;
  private streamCounter = 0;

  constructor(options: XdsServerOptions) {
    this.context = {
      ...options,
      proxySources: options.proxySources ?? new Map(),
      register: (connection) => this.connections.set(connection.id, connection),
      unregister: (connection) => this.connections.delete(connection.id),
    };
  }

  addTo(server: Server): void {
    server.addService(ADS_SERVICE, {
      StreamAggregatedResources: (call: ServerDuplexStream<Buffer, Buffer>) => new SotwConnection(call, this.context, this.nextId()),
      DeltaAggregatedResources: (call: ServerDuplexStream<Buffer, Buffer>) => new DeltaConnection(call, this.context, this.nextId()),
    });
  }

  private nextId(): string {
    this.streamCounter += 1;
    return `stream-${this.streamCounter}`;
  }

  /** Pushes to every connected stream whatever changed since its last push. */
  pushAll(): void {
    for (const connection of this.connections.values()) connection.push();
  }

  connected(): readonly XdsConnection[] {
    return [...this.connections.values()];
  }

  closeAll(): void {
    for (const connection of this.connections.values()) connection.close();
  }
}

export async function listenGrpc(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
  });
}
