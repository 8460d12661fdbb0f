import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeMessage, type ProtoObject } from '../../protos/any.ts';
import { findProtoPaths } from '../../protos/load.ts';

/** A real gRPC ADS client (grpc-js + proto-loader) for protocol tests: send requests, await responses. */

export interface DecodedResponse {
  readonly version_info: string;
  readonly type_url: string;
  readonly nonce: string;
  readonly resources: ProtoObject[];
  readonly names: string[];
}

export interface DecodedDeltaResponse {
  readonly system_version_info: string;
  readonly type_url: string;
  readonly nonce: string;
  readonly resources: { name: string; version: string; resource: ProtoObject }[];
  readonly removed_resources: string[];
}

interface RawAny {
  type_url: string;
  value: Buffer;
}

type AdsClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => grpc.Client & {
  StreamAggregatedResources(metadata?: grpc.Metadata): grpc.ClientDuplexStream<unknown, unknown>;
  DeltaAggregatedResources(metadata?: grpc.Metadata): grpc.ClientDuplexStream<unknown, unknown>;
};

/** How to reach the server: TLS credentials (e.g. a mesh client certificate), call metadata (a bearer token). */
export interface AdsConnectOptions {
  readonly credentials?: grpc.ChannelCredentials;
  readonly metadata?: grpc.Metadata;
  readonly channelOptions?: grpc.ChannelOptions;
}

function loadAdsClient(): AdsClientConstructor {
  const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
    includeDirs: [...findProtoPaths().includeDirs],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: AdsClientConstructor } } } };
  };
  return loaded.envoy.service.discovery.v3.AggregatedDiscoveryService;
}

function decodeAny(any: RawAny): ProtoObject {
  return decodeMessage(any.type_url, any.value);
}

/** Queues incoming messages so a test can await them one by one, with a timeout. */
class MessageQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: { resolve: (item: T) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }[] =
    [];
  ended: grpc.StatusObject | undefined;

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(item);
    } else this.items.push(item);
  }

  end(status: grpc.StatusObject): void {
    this.ended = status;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`stream ended: ${status.code} ${status.details}`));
    }
  }

  next(timeoutMs = 5_000): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.ended) return Promise.reject(new Error(`stream ended: ${this.ended.code} ${this.ended.details}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.findIndex((w) => w.timer === timer);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ resolve, reject, timer });
    });
  }

  /** Resolves true if nothing arrives within `ms` (used to check that nothing is sent). */
  async quiet(ms: number): Promise<boolean> {
    if (this.items.length > 0) return false;
    try {
      await this.next(ms);
      return false;
    } catch {
      return this.items.length === 0;
    }
  }

  pending(): number {
    return this.items.length;
  }
}

export class AdsTestClient {
  private readonly client: InstanceType<AdsClientConstructor>;
  private readonly sotwCall: grpc.ClientDuplexStream<unknown, unknown> | undefined;
  private readonly deltaCall: grpc.ClientDuplexStream<unknown, unknown> | undefined;
  readonly responses = new MessageQueue<DecodedResponse>();
  readonly deltaResponses = new MessageQueue<DecodedDeltaResponse>();
  private readonly statusPromise: Promise<grpc.StatusObject>;

  constructor(address: string, mode: 'sotw' | 'delta' = 'sotw', connect: AdsConnectOptions = {}) {
    const Client = loadAdsClient();
    this.client = new Client(
      address,
      connect.credentials ?? grpc.credentials.createInsecure(),
      connect.channelOptions ?? {},
    );
    const metadata = connect.metadata ?? new grpc.Metadata();
    const call =
      mode === 'sotw'
        ? this.client.StreamAggregatedResources(metadata)
        : this.client.DeltaAggregatedResources(metadata);
    if (mode === 'sotw') this.sotwCall = call;
    else this.deltaCall = call;
    call.on('data', (message: unknown) => {
      if (mode === 'sotw') {
        const raw = message as { version_info?: string; type_url: string; nonce: string; resources?: RawAny[] };
        const resources = (raw.resources ?? []).map(decodeAny);
        this.responses.push({
          version_info: raw.version_info ?? '',
          type_url: raw.type_url,
          nonce: raw.nonce,
          resources,
          names: resources.map((r) => String(r.name ?? r.cluster_name ?? '')),
        });
      } else {
        const raw = message as {
          system_version_info?: string;
          type_url: string;
          nonce: string;
          resources?: { name: string; version: string; resource: RawAny }[];
          removed_resources?: string[];
        };
        this.deltaResponses.push({
          system_version_info: raw.system_version_info ?? '',
          type_url: raw.type_url,
          nonce: raw.nonce,
          resources: (raw.resources ?? []).map((r) => ({
            name: r.name,
            version: r.version,
            resource: decodeAny(r.resource),
          })),
          removed_resources: raw.removed_resources ?? [],
        });
      }
    });
    this.statusPromise = new Promise((resolve) => {
      call.on('status', (status: grpc.StatusObject) => {
        this.responses.end(status);
        this.deltaResponses.end(status);
        resolve(status);
      });
    });
    call.on('error', () => {});
  }

  send(request: Record<string, unknown>): void {
    (this.sotwCall ?? this.deltaCall)!.write(request);
  }

  /** Stops reading responses (a stuck reader); gRPC flow control then holds the server back. */
  pause(): void {
    (this.sotwCall ?? this.deltaCall)!.pause();
  }

  resume(): void {
    (this.sotwCall ?? this.deltaCall)!.resume();
  }

  status(): Promise<grpc.StatusObject> {
    return this.statusPromise;
  }

  close(): void {
    (this.sotwCall ?? this.deltaCall)?.cancel();
    this.client.close();
  }
}

export function node(
  id: string,
  metadata: Record<string, string> = {},
  locality?: { region?: string; zone?: string; sub_zone?: string },
): Record<string, unknown> {
  return {
    id,
    metadata: { fields: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, { stringValue: v }])) },
    ...(locality ? { locality } : {}),
  };
}
