import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeMessage, type ProtoObject } from '../protos/any.ts';
import { findProtoPaths } from '../protos/load.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../protos/type-urls.ts';
import { nodeId, type DemoProxy } from './demo-file.ts';

type AdsStream = grpc.ClientDuplexStream<Record<string, unknown>, RawResponse>;
type AdsClient = grpc.Client & { StreamAggregatedResources(): AdsStream };
type AdsClientConstructor = new (address: string, credentials: grpc.ChannelCredentials) => AdsClient;

interface RawResponse {
  readonly version_info?: string;
  readonly type_url: string;
  readonly nonce: string;
  readonly resources?: { type_url: string; value: Buffer }[];
}

interface TypeState {
  names: string[];
  version: string;
  nonce: string;
}

let adsClientConstructor: AdsClientConstructor | undefined;

function adsClient(): AdsClientConstructor {
  if (adsClientConstructor) return adsClientConstructor;
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
  adsClientConstructor = loaded.envoy.service.discovery.v3.AggregatedDiscoveryService;
  return adsClientConstructor;
}

/** Every `route_config_name` inside a listener (its HTTP connection managers' RDS names). */
function routeNames(value: unknown, found: Set<string>, depth = 0): Set<string> {
  if (depth > 32 || typeof value !== 'object' || value === null) return found;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'route_config_name' && typeof child === 'string') found.add(child);
    else routeNames(child, found, depth + 1);
  }
  return found;
}

function edsClusterNames(clusters: readonly ProtoObject[]): string[] {
  return clusters.filter((c) => c.type === 'EDS').map((c) => String(c.name));
}

/**
 * An Envoy-like ADS client of the demo (a sidecar or an east-west gateway): one SotW stream that asks
 * CDS and LDS (wildcard), then the EDS of every EDS cluster and the RDS every listener names, and
 * ACKs each response, so proxy-status shows it SYNCED. It carries no traffic.
 */
export class DemoAdsProxy {
  readonly id: string;
  private readonly client: AdsClient;
  private readonly stream: AdsStream;
  private readonly states = new Map<string, TypeState>();
  private closed = false;
  /** Why the stream ended, when meshpilot ended it. */
  endedWith: string | undefined;

  constructor(xdsAddress: string, proxy: DemoProxy) {
    this.id = nodeId(proxy.type, proxy);
    const Client = adsClient();
    this.client = new Client(xdsAddress, grpc.credentials.createInsecure());
    this.stream = this.client.StreamAggregatedResources();
    this.stream.on('data', (response: RawResponse) => this.onResponse(response));
    this.stream.on('status', (status: grpc.StatusObject) => {
      if (!this.closed) this.endedWith = `${grpc.status[status.code]}: ${status.details}`;
    });
    this.stream.on('error', () => {});
    const node = {
      id: this.id,
      cluster: `${proxy.labels.app ?? proxy.podName}.${proxy.namespace}`,
      metadata: {
        CLUSTER_ID: proxy.clusterId,
        NETWORK: proxy.network,
        NAMESPACE: proxy.namespace,
        LABELS: proxy.labels,
        ...(proxy.type === 'router' ? { ROUTER_MODE: 'sni-dnat' } : {}),
      },
      locality: { region: proxy.region, zone: proxy.zone },
    };
    this.stream.write({ node: toStruct(node), type_url: CLUSTER_TYPE, resource_names: [] });
    this.stream.write({ type_url: LISTENER_TYPE, resource_names: [] });
  }

  private onResponse(response: RawResponse): void {
    const state = this.states.get(response.type_url) ?? { names: [], version: '', nonce: '' };
    state.version = response.version_info ?? '';
    state.nonce = response.nonce;
    this.states.set(response.type_url, state);
    this.request(response.type_url, state);
    const resources = (response.resources ?? []).map((any) => decodeMessage(any.type_url, any.value));
    if (response.type_url === CLUSTER_TYPE) this.follow(ENDPOINT_TYPE, edsClusterNames(resources));
    if (response.type_url === LISTENER_TYPE)
      this.follow(ROUTE_TYPE, [...resources.reduce((names, l) => routeNames(l, names), new Set<string>())]);
  }

  /** Subscribes to `names` of `typeUrl` when they changed (Envoy asks EDS and RDS after CDS and LDS). */
  private follow(typeUrl: string, names: string[]): void {
    const state = this.states.get(typeUrl) ?? { names: [], version: '', nonce: '' };
    const sorted = [...names].sort();
    // Unchanged, or nothing to ask yet (an empty list would be a wildcard request).
    if (sorted.join('\n') === state.names.join('\n')) return;
    state.names = sorted;
    this.states.set(typeUrl, state);
    this.request(typeUrl, state);
  }

  private request(typeUrl: string, state: TypeState): void {
    if (this.closed) return;
    const wildcard = typeUrl === CLUSTER_TYPE || typeUrl === LISTENER_TYPE;
    this.stream.write({
      type_url: typeUrl,
      version_info: state.version,
      response_nonce: state.nonce,
      resource_names: wildcard ? [] : state.names,
    });
  }

  close(): void {
    this.closed = true;
    this.stream.cancel();
    this.client.close();
  }
}

/** node.metadata is a google.protobuf.Struct: proto-loader takes it as fields of typed values. */
function toStruct(node: {
  id: string;
  cluster: string;
  metadata: Record<string, string | Record<string, string>>;
  locality: { region: string; zone: string };
}): Record<string, unknown> {
  const value = (v: string | Record<string, string>): Record<string, unknown> =>
    typeof v === 'string'
      ? { stringValue: v }
      : { structValue: { fields: Object.fromEntries(Object.entries(v).map(([k, s]) => [k, { stringValue: s }])) } };
  return {
    id: node.id,
    cluster: node.cluster,
    metadata: { fields: Object.fromEntries(Object.entries(node.metadata).map(([k, v]) => [k, value(v)])) },
    locality: node.locality,
  };
}
