import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** meshpilot's Prometheus metrics, named like istiod's where one exists (pilot/pkg/xds/monitoring.go). */
export class Metrics {
  readonly registry = new Registry();
  readonly connectedStreams = new Gauge({
    name: 'pilot_xds',
    help: 'Connected xDS streams',
    labelNames: ['kind'],
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
  readonly inboundUpdates = new Counter({
    name: 'pilot_inbound_updates',
    help: 'Registry changes received, by kind',
    labelNames: ['type'],
    registers: [this.registry],
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
    help: 'Kube clusters watched',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
