import type { ProtoObject } from '../../protos/any.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../protos/type-urls.ts';
import { AdsTestClient, node, type DecodedResponse } from './ads-client.ts';

/**
 * A SotW ADS client that follows Envoy's documented state machine (xds_protocol.rst; "Cluster
 * warming" and "Listener warming" in the cluster and listener manager docs), with Istio's
 * `initial_fetch_timeout: 0s`, so that nothing warming ever times out into use:
 * - it asks for CDS (wildcard); a cluster added or changed by CDS is created again and, if it is an
 *   EDS cluster, stays warming until a ClusterLoadAssignment for it arrives after that CDS response;
 * - after every CDS response that created clusters it ACKs CDS, then re-requests EDS for every EDS
 *   cluster with the last EDS version and nonce, even when the names did not change;
 * - once the first clusters are warm it asks for LDS (wildcard); a listener added or changed waits
 *   for each RouteConfiguration it names (rds.route_config_name) to arrive after it (strict: as
 *   istiod's pushes assume); it then re-requests RDS for the routes of every listener;
 * - it ACKs every response, or NACKs the first response of the types in `nackFirst`.
 * It records the responses in order (`received`), for assertions on what followed what.
 */
export class EnvoyLikeClient {
  readonly client: AdsTestClient;
  readonly clusters = new Map<string, { readonly json: string; readonly eds: boolean }>();
  readonly warmingClusters = new Set<string>();
  readonly listeners = new Map<string, { readonly json: string; readonly routes: readonly string[] }>();
  /** Listener → the routes it still waits for. */
  readonly warmingListeners = new Map<string, Set<string>>();
  readonly assignments = new Map<string, ProtoObject>();
  readonly routes = new Map<string, ProtoObject>();
  readonly received: DecodedResponse[] = [];
  private readonly last = new Map<string, { version: string; nonce: string }>();
  private readonly nackFirst: Set<string>;
  private ldsRequested = false;

  constructor(address: string, nodeId: string, options: { nackFirst?: readonly string[] } = {}) {
    this.client = new AdsTestClient(address);
    this.nackFirst = new Set(options.nackFirst ?? []);
    this.client.send({ node: node(nodeId), type_url: CLUSTER_TYPE, resource_names: [] });
  }

  /** Handles responses until none arrives for `quietMs` (at most `maxResponses`). */
  async settle(quietMs = 300, maxResponses = 50, firstWithinMs = quietMs): Promise<void> {
    for (let i = 0; i < maxResponses; i += 1) {
      let response: DecodedResponse;
      try {
        response = await this.client.responses.next(i === 0 ? firstWithinMs : quietMs);
      } catch {
        return;
      }
      this.handle(response);
    }
    throw new Error(`more than ${maxResponses} responses without a pause of ${quietMs} ms`);
  }

  /** Types of the responses received since `from`, in order, with their resource names. */
  receivedSince(from: number): { type: string; names: string[] }[] {
    return this.received.slice(from).map((r) => ({ type: r.type_url, names: [...r.names].sort() }));
  }

  close(): void {
    this.client.close();
  }

  private handle(response: DecodedResponse): void {
    this.received.push(response);
    const type = response.type_url;
    if (this.nackFirst.delete(type)) {
      const previous = this.last.get(type);
      this.client.send({
        type_url: type,
        version_info: previous?.version ?? '',
        response_nonce: response.nonce,
        resource_names: this.namesOf(type),
        error_detail: { code: 3, message: `rejected by test: first ${type}` },
      });
      return;
    }
    this.last.set(type, { version: response.version_info, nonce: response.nonce });
    if (type === CLUSTER_TYPE) this.onClusters(response);
    else if (type === ENDPOINT_TYPE) this.onAssignments(response);
    else if (type === LISTENER_TYPE) this.onListeners(response);
    else if (type === ROUTE_TYPE) this.onRoutes(response);
  }

  private onClusters(response: DecodedResponse): void {
    let created = false;
    const names = new Set(response.names);
    for (const cluster of response.resources) {
      const name = String(cluster.name);
      const json = JSON.stringify(cluster);
      if (this.clusters.get(name)?.json === json) continue;
      const eds = cluster.type === 'EDS' || cluster.eds_cluster_config !== undefined;
      this.clusters.set(name, { json, eds });
      if (eds) this.warmingClusters.add(name);
      created = true;
    }
    for (const name of [...this.clusters.keys()])
      if (!names.has(name)) {
        this.clusters.delete(name);
        this.warmingClusters.delete(name);
        this.assignments.delete(name);
      }
    this.ack(CLUSTER_TYPE, response);
    if (created) this.request(ENDPOINT_TYPE);
    this.maybeRequestListeners();
  }

  private onAssignments(response: DecodedResponse): void {
    for (const assignment of response.resources) {
      const name = String(assignment.cluster_name);
      this.assignments.set(name, assignment);
      this.warmingClusters.delete(name);
    }
    this.ack(ENDPOINT_TYPE, response);
    this.maybeRequestListeners();
  }

  private onListeners(response: DecodedResponse): void {
    let created = false;
    const names = new Set(response.names);
    for (const listener of response.resources) {
      const name = String(listener.name);
      const json = JSON.stringify(listener);
      if (this.listeners.get(name)?.json === json) continue;
      const routes = routeNames(listener);
      this.listeners.set(name, { json, routes });
      if (routes.length > 0) this.warmingListeners.set(name, new Set(routes));
      created = true;
    }
    for (const name of [...this.listeners.keys()])
      if (!names.has(name)) {
        this.listeners.delete(name);
        this.warmingListeners.delete(name);
      }
    this.ack(LISTENER_TYPE, response);
    if (created) this.request(ROUTE_TYPE);
  }

  private onRoutes(response: DecodedResponse): void {
    for (const route of response.resources) {
      const name = String(route.name);
      this.routes.set(name, route);
      for (const [listener, awaited] of [...this.warmingListeners]) {
        awaited.delete(name);
        if (awaited.size === 0) this.warmingListeners.delete(listener);
      }
    }
    this.ack(ROUTE_TYPE, response);
  }

  private maybeRequestListeners(): void {
    if (this.ldsRequested || this.warmingClusters.size > 0) return;
    this.ldsRequested = true;
    this.client.send({ type_url: LISTENER_TYPE, resource_names: [] });
  }

  private namesOf(type: string): string[] {
    if (type === ENDPOINT_TYPE)
      return [...this.clusters]
        .filter(([, cluster]) => cluster.eds)
        .map(([name]) => name)
        .sort();
    if (type === ROUTE_TYPE) return [...new Set([...this.listeners.values()].flatMap((l) => l.routes))].sort();
    return [];
  }

  private ack(type: string, response: DecodedResponse): void {
    this.client.send({
      type_url: type,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: this.namesOf(type),
    });
  }

  /** A request as Envoy sends when a watch is (re-)added: the current names, the last version and nonce. */
  private request(type: string): void {
    const previous = this.last.get(type);
    this.client.send({
      type_url: type,
      version_info: previous?.version ?? '',
      response_nonce: previous?.nonce ?? '',
      resource_names: this.namesOf(type),
    });
  }
}

/** The route names a listener's HTTP connection managers ask RDS for. */
function routeNames(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) for (const item of v) visit(item);
    else if (v !== null && typeof v === 'object')
      for (const [key, child] of Object.entries(v)) {
        if (key === 'route_config_name' && typeof child === 'string') found.add(child);
        else visit(child);
      }
  };
  visit(value);
  return [...found].sort();
}
