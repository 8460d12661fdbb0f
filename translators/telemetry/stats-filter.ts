import { typedConfig } from '../common/typed-config.ts';
import type { Filter } from '../resource.ts';
import type { IstioConfig, MetricSelectorMetric, MetricsOverride } from '../../model/istio/types.ts';
import { structValue, type JsonValue } from '../common/struct.ts';
import { applicableConfigs, hasSelector, oldestFirst, type WorkloadScope } from '../security/workload-scope.ts';

/** Which side of a connection a proxy reports: outbound (CLIENT) or inbound (SERVER), as Telemetry's match.mode. */
export type StatsMode = 'CLIENT' | 'SERVER';

/** One entry of the istio.stats plugin's `metrics`: `name` empty = every metric. */
export interface StatsMetricConfig {
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly tags_to_remove: readonly string[];
  readonly drop?: boolean;
}

/** Istio's standard metric names per Telemetry metric selector (ALL_METRICS = every metric). */
const METRIC_NAMES: Record<MetricSelectorMetric, string> = {
  ALL_METRICS: '',
  REQUEST_COUNT: 'requests_total',
  REQUEST_DURATION: 'request_duration_milliseconds',
  REQUEST_SIZE: 'request_bytes',
  RESPONSE_SIZE: 'response_bytes',
  TCP_OPENED_CONNECTIONS: 'tcp_connections_opened_total',
  TCP_CLOSED_CONNECTIONS: 'tcp_connections_closed_total',
  TCP_SENT_BYTES: 'tcp_sent_bytes_total',
  TCP_RECEIVED_BYTES: 'tcp_received_bytes_total',
  GRPC_REQUEST_MESSAGES: 'request_messages_total',
  GRPC_RESPONSE_MESSAGES: 'response_messages_total',
};

const PROMETHEUS = 'prometheus';
const STATS_PLUGIN_CONFIG = 'type.googleapis.com/stats.PluginConfig';
const TYPED_STRUCT = 'udpa.type.v1.TypedStruct' as const;

function appliesTo(override: MetricsOverride, mode: StatsMode): boolean {
  const wanted = override.match?.mode ?? 'CLIENT_AND_SERVER';
  return wanted === 'CLIENT_AND_SERVER' || wanted === mode;
}

/** Istio's level order: mesh (root namespace), then namespace, then workload (selector); within a level oldest first. */
function byLevel(scope: WorkloadScope) {
  const level = (t: IstioConfig<'Telemetry'>) =>
    hasSelector(t.spec.selector) ? 2 : t.meta.namespace === scope.rootNamespace ? 0 : 1;
  return (a: IstioConfig<'Telemetry'>, b: IstioConfig<'Telemetry'>) => level(a) - level(b) || oldestFirst(a, b);
}

/**
 * The stats plugin's metric configs for a workload and mode from the Telemetry objects that apply
 * (root namespace, the workload's namespace, matching selectors), undefined when none does. Metrics
 * sections for other providers than prometheus are ignored. Overrides fold in level order, so a
 * more specific Telemetry wins per tag; UPSERT sets a dimension (a CEL expression), REMOVE lists the
 * tag in tags_to_remove, `disabled` drops the metric. Pure.
 */
export function statsMetrics(
  telemetries: readonly IstioConfig<'Telemetry'>[],
  scope: WorkloadScope,
  mode: StatsMode,
): StatsMetricConfig[] | undefined {
  const applicable = applicableConfigs(telemetries, scope).sort(byLevel(scope));
  if (applicable.length === 0) return undefined;
  const merged = new Map<string, { dimensions: Record<string, string>; remove: Set<string>; drop?: boolean }>();
  for (const telemetry of applicable) {
    for (const metrics of telemetry.spec.metrics ?? []) {
      if (metrics.providers && !metrics.providers.some((p) => p.name === PROMETHEUS)) continue;
      for (const override of metrics.overrides ?? []) {
        if (!appliesTo(override, mode)) continue;
        const name = override.match?.customMetric ?? METRIC_NAMES[override.match?.metric ?? 'ALL_METRICS'];
        const entry = merged.get(name) ?? { dimensions: {}, remove: new Set<string>() };
        for (const [tag, change] of Object.entries(override.tagOverrides ?? {})) {
          if (change.operation === 'UPSERT') {
            entry.dimensions[tag] = change.value;
            entry.remove.delete(tag);
          } else {
            delete entry.dimensions[tag];
            entry.remove.add(tag);
          }
        }
        if (override.disabled !== undefined) entry.drop = override.disabled;
        merged.set(name, entry);
      }
    }
  }
  return [...merged].map(([name, entry]) => ({
    name,
    dimensions: entry.dimensions,
    tags_to_remove: [...entry.remove].sort(),
    ...(entry.drop !== undefined ? { drop: entry.drop } : {}),
  }));
}

/**
 * The `istio.stats` filter (network or HTTP: the same plugin config) carrying the metric configs,
 * as a udpa TypedStruct of `stats.PluginConfig` (Istio's proxy extension, not in Envoy's protos).
 * Inbound (SERVER) sets disable_host_header_fallback, as the seed's config dump shows.
 */
export function istioStatsFilter(metrics: readonly StatsMetricConfig[], mode: StatsMode): Filter {
  const config: { [key: string]: JsonValue } = {
    metrics: metrics.map((m): { [key: string]: JsonValue } => ({
      ...(m.name !== '' ? { name: m.name } : {}),
      dimensions: { ...m.dimensions },
      ...(m.tags_to_remove.length > 0 ? { tags_to_remove: [...m.tags_to_remove] } : {}),
      ...(m.drop !== undefined ? { drop: m.drop } : {}),
    })),
    ...(mode === 'SERVER' ? { disable_host_header_fallback: true } : {}),
  };
  return {
    name: 'istio.stats',
    typed_config: typedConfig(TYPED_STRUCT, { type_url: STATS_PLUGIN_CONFIG, value: structValue(config) }),
  };
}

/** The istio.stats filters (zero or one) for a workload and mode. Pure. */
export function statsFilters(
  telemetries: readonly IstioConfig<'Telemetry'>[],
  scope: WorkloadScope,
  mode: StatsMode,
): Filter[] {
  const metrics = statsMetrics(telemetries, scope, mode);
  return metrics === undefined ? [] : [istioStatsFilter(metrics, mode)];
}
