import { Counter, Gauge, type Registry } from 'prom-client';

/** Metrics of the Istio config sources, registered on meshpilot's registry (server/metrics). */
export class IstioConfigMetrics {
  readonly accepted: Gauge;
  readonly rejected: Gauge;
  readonly rejections: Counter;

  constructor(registry: Registry) {
    this.accepted = new Gauge({
      name: 'meshpilot_istio_config_objects',
      help: 'Istio config objects currently applied, by kind',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.rejected = new Gauge({
      name: 'meshpilot_istio_config_rejected',
      help: 'Istio config objects currently rejected as invalid or duplicate, by kind',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.rejections = new Counter({
      name: 'meshpilot_istio_config_rejections_total',
      help: 'Istio config object versions rejected (each version counted once), by kind',
      labelNames: ['kind'],
      registers: [registry],
    });
  }
}
