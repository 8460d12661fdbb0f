import { readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** package.json's version, found from the sources (server/metrics) or the compiled build (dist/server/metrics). */
function meshpilotVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'meshpilot')
        return 'version' in parsed && typeof parsed.version === 'string' ? parsed.version : 'unknown';
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
export const MESHPILOT_VERSION = meshpilotVersion();

/** meshpilot's Prometheus metrics, named like istiod's where one exists (pilot/pkg/xds/monitoring.go). */
export class Metrics {
  readonly registry = new Registry();
  readonly connectedStreams = new Gauge({
    name: 'pilot_xds',
    help: 'Connected xDS streams, by the proxy ISTIO_VERSION (as istiod) and the stream kind (ads or delta)',
    labelNames: ['version', 'kind'],
    registers: [this.registry],
  });
  readonly pushes = new Counter({
    name: 'pilot_xds_pushes',
    help: 'xDS responses sent, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly rejects = new Counter({
    name: 'pilot_total_xds_rejects',
    help: 'NACKs received, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly pushTime = new Histogram({
    name: 'pilot_xds_push_time',
    help: 'Seconds to compute and send one push to one stream',
    labelNames: ['type'],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 3, 5],
    registers: [this.registry],
  });
  readonly unknownTypeRequests = new Counter({
    name: 'meshpilot_xds_unknown_type_requests_total',
    help: 'Requests for a type URL meshpilot does not serve',
    registers: [this.registry],
  });
  readonly cancelledStreams = new Counter({
    name: 'meshpilot_xds_streams_cancelled_total',
    help: 'ADS streams ended by the peer or its connection (reset, gone, or closed by keepalive as a dead peer)',
    registers: [this.registry],
  });
  readonly staleNonces = new Counter({
    name: 'meshpilot_xds_stale_nonce_requests_total',
    help: 'Requests ignored for a stale nonce',
    registers: [this.registry],
  });
  readonly malformedRequests = new Counter({
    name: 'meshpilot_xds_malformed_requests_total',
    help: 'Streams ended with INVALID_ARGUMENT',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly registryInputsDropped = new Counter({
    name: 'meshpilot_registry_inputs_dropped_total',
    help: 'Registry objects with invalid values (addresses, ports, protocols, label values) dropped at the door',
    labelNames: ['kubeCluster', 'kind'] as const,
    registers: [this.registry],
  });
  readonly inboundUpdates = new Counter({
    name: 'pilot_inbound_updates',
    help: 'Registry changes received, by kind',
    labelNames: ['type'],
    registers: [this.registry],
    collect: () => this.drainRegistryChanges(),
  });
  readonly debounceTime = new Histogram({
    name: 'pilot_debounce_time',
    help: 'Seconds from the first change of a batch to its push',
    buckets: [0.01, 0.1, 0.5, 1, 3, 5, 10],
    registers: [this.registry],
  });
  readonly convergenceTime = new Histogram({
    name: 'pilot_proxy_convergence_time',
    help: 'Seconds from a change being seen to the proxy ACKing the response carrying it',
    buckets: [0.1, 0.5, 1, 3, 5, 10, 20, 30],
    registers: [this.registry],
  });
  readonly queueTime = new Histogram({
    name: 'pilot_proxy_queue_time',
    help: 'Seconds a stream waited in the push queue',
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 3, 5],
    registers: [this.registry],
  });
  readonly blockedStreams = new Gauge({
    name: 'meshpilot_xds_blocked_streams',
    help: 'Streams whose client is not reading; their pushes wait, merged',
    registers: [this.registry],
  });
  readonly kubeconfigRefused = new Counter({
    name: 'meshpilot_kubeconfig_refused_total',
    help: 'Kubeconfigs refused for exec, auth providers, file references or unknown fields (remote secrets; kubeconfig files without clusters[].kubeconfigAllow)',
    labelNames: ['cluster'],
    registers: [this.registry],
  });
  readonly managedKubeClusters = new Gauge({
    name: 'istiod_managed_clusters',
    help: 'Kube clusters watched: cluster_type local (meshpilot.yaml) or remote (remote secrets), as istiod',
    labelNames: ['cluster_type'],
    registers: [this.registry],
  });
  /** The metrics below are the rest of what Istio's control-plane dashboard queries (pilot-dashboard). */
  readonly build = new Gauge({
    name: 'istio_build',
    help: 'Istio component build info (meshpilot serves as component pilot)',
    labelNames: ['component', 'tag'],
    registers: [this.registry],
  });
  readonly registryEvents = new Counter({
    name: 'pilot_k8s_reg_events',
    help: 'Events from the kube registry (type: Services, EndpointSlice, Pods, Nodes; event: update for an add or change, delete)',
    labelNames: ['type', 'event'],
    registers: [this.registry],
    collect: () => this.drainRegistryChanges(),
  });
  readonly pushTriggers = new Counter({
    name: 'pilot_push_triggers',
    help: 'Total number of times a push was triggered, by reason (as istiod: config, endpoint, service, ...)',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly internalErrors = new Counter({
    name: 'pilot_total_xds_internal_errors',
    help: 'Total number of internal xDS errors (a response that could not be built or sent)',
    registers: [this.registry],
  });
  readonly configSize = new Histogram({
    name: 'pilot_xds_config_size_bytes',
    help: 'Distribution of the size of one xDS response in bytes, by type',
    labelNames: ['type'],
    buckets: [1, 10_000, 1_000_000, 4_000_000, 10_000_000, 40_000_000],
    registers: [this.registry],
  });
  readonly expiredNonces = new Counter({
    name: 'pilot_xds_expired_nonce',
    help: 'Total number of xDS requests with an expired nonce, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly services = new Gauge({
    name: 'pilot_services',
    help: 'Total services known to meshpilot',
    registers: [this.registry],
  });
  readonly virtualServices = new Gauge({
    name: 'pilot_virt_services',
    help: 'Total virtual services known to meshpilot',
    registers: [this.registry],
  });

  /** How many connected proxies claim a CLUSTER_ID / NETWORK the mesh does not know (the runtime sets it). */
  private unknownClusterProxies: () => Readonly<Record<string, number>> = () => ({});
  readonly proxiesUnknownCluster = new Gauge({
    name: 'meshpilot_proxies_unknown_cluster',
    help: 'Connected proxies whose CLUSTER_ID matches no kube cluster (reason cluster_id) or whose NETWORK matches no network (reason network)',
    labelNames: ['reason'],
    registers: [this.registry],
    collect: () => {
      for (const [reason, count] of Object.entries(this.unknownClusterProxies()))
        this.proxiesUnknownCluster.set({ reason }, count);
    },
  });

  /** Where meshpilot_proxies_unknown_cluster is read from at each scrape. */
  countProxiesWithUnknownCluster(count: () => Readonly<Record<string, number>>): void {
    this.unknownClusterProxies = count;
  }

  /**
   * Registry changes counted since the last read of pilot_inbound_updates / pilot_k8s_reg_events, by
   * kind, Istio type and event: a watch event costs a Map lookup here instead of two label hashes in
   * prom-client; the counters take the tallies whenever they are read (a scrape, or get()).
   */
  private readonly registryTally = new Map<string, { kind: string; type: string; event: string; count: number }>();

  /** One registry change of `kind` (pilot_inbound_updates type), Istio's `type` and `event` (pilot_k8s_reg_events). */
  countRegistryChange(kind: string, type: string, event: 'update' | 'delete'): void {
    const key = `${kind}|${event}`;
    const tally = this.registryTally.get(key);
    if (tally) tally.count += 1;
    else this.registryTally.set(key, { kind, type, event, count: 1 });
  }

  private drainRegistryChanges(): void {
    for (const tally of this.registryTally.values()) {
      if (tally.count === 0) continue;
      this.inboundUpdates.inc({ type: tally.kind }, tally.count);
      this.registryEvents.inc({ type: tally.type, event: tally.event }, tally.count);
      tally.count = 0;
    }
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.build.set({ component: 'pilot', tag: MESHPILOT_VERSION }, 1);
  }
}
