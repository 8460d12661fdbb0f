import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { errorMessage } from '../common/error-message.ts';
import { nodeId, type DemoGrpcClient } from './demo-file.ts';
import { decodeJson, encodeJson, SAY_HELLO, type HelloReply } from './greeter.ts';

/** What the demo's gRPC client has done so far. */
export interface RpcTally {
  readonly ok: number;
  readonly failed: number;
  /** Successful RPCs per answering server (`address:port`). */
  readonly byServer: Readonly<Record<string, number>>;
  readonly lastError?: string;
}

const DEADLINE_MS = 3_000;
const READY_WAIT_MS = 30_000;

/**
 * The demo's proxyless gRPC client: dials `xds:///…` through @grpc/grpc-js-xds with a bootstrap that
 * points at meshpilot (GENERATOR grpc, the workload's CLUSTER_ID, NETWORK and locality) and calls
 * SayHello once per interval, one call at a time, until stopped.
 */
export class DemoGrpcCaller {
  readonly id: string;
  private readonly client: grpc.Client;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private stopped = false;
  private ok = 0;
  private failed = 0;
  private readonly byServer: Record<string, number> = {};
  private lastError: string | undefined;

  constructor(xdsAddress: string, spec: DemoGrpcClient) {
    this.id = nodeId('sidecar', spec);
    // One bootstrap per process (read once, at the first xds:/// channel): the demo has one gRPC client.
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [{ server_uri: xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: {
        id: this.id,
        metadata: {
          GENERATOR: 'grpc',
          CLUSTER_ID: spec.clusterId,
          NETWORK: spec.network,
          NAMESPACE: spec.namespace,
          LABELS: spec.labels,
        },
        locality: { region: spec.region, zone: spec.zone },
      },
    });
    grpcXds.register();
    this.client = new grpc.Client(spec.target, grpc.credentials.createInsecure());
    // The first calls wait for xDS (listener, routes, clusters, endpoints), at most READY_WAIT_MS.
    this.client.waitForReady(Date.now() + READY_WAIT_MS, () => {
      if (this.stopped) return;
      this.timer = setInterval(() => void this.call(), spec.intervalMs);
      void this.call();
    });
  }

  private async call(): Promise<void> {
    if (this.inFlight || this.stopped) return;
    this.inFlight = true;
    try {
      const reply = await new Promise<HelloReply>((resolve, reject) =>
        this.client.makeUnaryRequest<{ name: string }, HelloReply>(
          SAY_HELLO,
          encodeJson,
          (bytes) => decodeJson(bytes) as HelloReply,
          { name: 'meshpilot demo' },
          new grpc.Metadata(),
          { deadline: Date.now() + DEADLINE_MS },
          (error, value) => (error || !value ? reject(error ?? new Error('empty reply')) : resolve(value)),
        ),
      );
      this.ok += 1;
      this.byServer[reply.server] = (this.byServer[reply.server] ?? 0) + 1;
    } catch (error: unknown) {
      if (!this.stopped) {
        this.failed += 1;
        this.lastError = errorMessage(error);
      }
    } finally {
      this.inFlight = false;
    }
  }

  tally(): RpcTally {
    return {
      ok: this.ok,
      failed: this.failed,
      byServer: { ...this.byServer },
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  close(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.client.close();
  }
}
