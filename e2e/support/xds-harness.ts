import { Server } from '@grpc/grpc-js';
import pino from 'pino';
import { shareUnchanged } from '../../model/snapshot-delta.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { XdsCache } from '../../server/cache/xds-cache.ts';
import { Metrics } from '../../server/metrics/metrics.ts';
import { createMeshXdsService } from '../../server/cache/mesh-xds-service.ts';
import { listenGrpc } from '../../server/xds/xds-server.ts';
import type { StreamLimits } from '../../server/xds/stream-limits.ts';
import { AdsTestClient, node } from './ads-client.ts';

/**
 * The ADS server alone, fed snapshots directly (no registry, no debounce): publish a snapshot,
 * and it is pushed as the pipeline would push it. For tests of what reaches which stream.
 */
export class XdsHarness {
  readonly cache = new XdsCache();
  readonly metrics = new Metrics({ defaultMetrics: false });
  readonly xds: ReturnType<typeof createMeshXdsService>;
  private readonly server = new Server();
  private readonly clients: AdsTestClient[] = [];
  private current: MeshSnapshot | undefined;
  address = '';

  private constructor(limits: Partial<StreamLimits>, writeBudgetBytes: number | undefined) {
    this.xds = createMeshXdsService({
      cache: this.cache,
      metrics: this.metrics,
      logger: pino({ level: 'silent' }),
      controlPlane: { identifier: 'test' },
      limits,
      ...(writeBudgetBytes !== undefined ? { writeBudgetBytes } : {}),
    });
  }

  /** `limits`: per-stream limits other than the defaults; `writeBudgetBytes`: the server's write budget. */
  static async start(limits: Partial<StreamLimits> = {}, writeBudgetBytes?: number): Promise<XdsHarness> {
    const harness = new XdsHarness(limits, writeBudgetBytes);
    harness.xds.addTo(harness.server);
    harness.address = `127.0.0.1:${await listenGrpc(harness.server, '127.0.0.1:0')}`;
    return harness;
  }

  publish(next: MeshSnapshot): void {
    const { snapshot, delta } = shareUnchanged(this.current, next);
    this.current = snapshot;
    this.cache.setSnapshot(snapshot, delta);
    this.xds.publish(delta);
  }

  /** A stream subscribed to each type in turn, every first response ACKed. */
  async subscribe(
    id: string,
    subscriptions: readonly (readonly [string, readonly string[]])[],
    /** How long to wait for each first response (longer where a test throttles the server on purpose). */
    responseTimeoutMs = 5_000,
  ): Promise<AdsTestClient> {
    const client = new AdsTestClient(this.address);
    this.clients.push(client);
    for (const [typeUrl, names] of subscriptions) {
      client.send({
        node: node(`sidecar~127.0.0.${this.clients.length + 10}~${id}.default~default.svc.cluster.local`),
        type_url: typeUrl,
        resource_names: names,
      });
      const response = await client.responses.next(responseTimeoutMs);
      client.send({
        type_url: typeUrl,
        version_info: response.version_info,
        response_nonce: response.nonce,
        resource_names: names,
      });
    }
    return client;
  }

  stop(): void {
    for (const client of this.clients.splice(0)) client.close();
    this.xds.closeAll();
    this.server.forceShutdown();
  }
}
