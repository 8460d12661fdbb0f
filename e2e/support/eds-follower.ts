import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import { AdsTestClient, node, type DecodedResponse } from './ads-client.ts';

/** Every `socket_address.address:port_value` in a decoded resource, depth-first. */
export function socketAddresses(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) socketAddresses(item, out);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const socket = record['socket_address'] as { address?: unknown; port_value?: unknown } | undefined;
    if (socket && typeof socket.address === 'string') out.push(`${socket.address}:${String(socket.port_value ?? '')}`);
    for (const [key, child] of Object.entries(record)) if (key !== 'socket_address') socketAddresses(child, out);
  }
  return out;
}

export interface EdsUpdate {
  readonly at: number;
  /** Addresses (ip:port) of the endpoints a proxy balances to (not UNHEALTHY or DRAINING), sorted, duplicates kept. */
  readonly addresses: readonly string[];
}

const NOT_BALANCED = new Set<unknown>(['UNHEALTHY', 'DRAINING', 2, 3]);

/** The locality groups of a ClusterLoadAssignment without the endpoints Envoy and gRPC do not balance to. */
function balancedEndpoints(groups: unknown): unknown[] {
  if (!Array.isArray(groups)) return [];
  return groups.map((group: unknown) => {
    if (typeof group !== 'object' || group === null) return group;
    const record = group as Record<string, unknown>;
    const endpoints = Array.isArray(record['lb_endpoints']) ? (record['lb_endpoints'] as unknown[]) : [];
    return {
      ...record,
      lb_endpoints: endpoints.filter(
        (e) =>
          !(typeof e === 'object' && e !== null && NOT_BALANCED.has((e as Record<string, unknown>)['health_status'])),
      ),
    };
  });
}

/**
 * An ADS client subscribed to CDS and to one EDS cluster; ACKs everything and records each EDS
 * update, so a test can wait for a state and check every update it received on the way.
 */
export class EdsFollower {
  readonly updates: EdsUpdate[] = [];
  readonly clusters: string[][] = [];
  private readonly client: AdsTestClient;
  private readonly envoyCluster: string;
  private closed = false;
  private readonly reading: Promise<void>;

  private constructor(client: AdsTestClient, envoyCluster: string) {
    this.client = client;
    this.envoyCluster = envoyCluster;
    this.reading = this.read();
  }

  static connect(
    xdsAddress: string,
    proxyId: string,
    metadata: Record<string, string>,
    envoyCluster: string,
  ): EdsFollower {
    const client = new AdsTestClient(xdsAddress);
    client.send({ node: node(proxyId, metadata), type_url: CLUSTER_TYPE, resource_names: [] });
    client.send({ type_url: ENDPOINT_TYPE, resource_names: [envoyCluster] });
    return new EdsFollower(client, envoyCluster);
  }

  private async read(): Promise<void> {
    for (let i = 0; i < 100_000 && !this.closed; i += 1) {
      let response: DecodedResponse;
      try {
        response = await this.client.responses.next(1_000);
      } catch {
        if (this.client.responses.ended) return;
        continue;
      }
      const names = response.type_url === ENDPOINT_TYPE ? [this.envoyCluster] : [];
      this.client.send({
        type_url: response.type_url,
        version_info: response.version_info,
        response_nonce: response.nonce,
        resource_names: names,
      });
      if (response.type_url === CLUSTER_TYPE) this.clusters.push(response.names);
      if (response.type_url === ENDPOINT_TYPE) {
        const assignment = response.resources.find((r) => r['cluster_name'] === this.envoyCluster);
        this.updates.push({
          at: Date.now(),
          addresses: socketAddresses(balancedEndpoints(assignment?.['endpoints'])).sort(),
        });
      }
    }
  }

  latest(): readonly string[] | undefined {
    return this.updates.at(-1)?.addresses;
  }

  /** Resolves with the first update, among those after the `since`-th, that satisfies `predicate`. */
  async waitFor(
    predicate: (addresses: readonly string[]) => boolean,
    what: string,
    options: { since?: number; timeoutMs?: number } = {},
  ): Promise<EdsUpdate> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.updates.slice(options.since ?? 0).find((u) => predicate(u.addresses));
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no EDS update with ${what} within ${timeoutMs} ms; last: ${JSON.stringify(this.latest())}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.close();
    await this.reading;
  }
}
