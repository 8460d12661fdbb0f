import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harnessDir } from '../../e2e/support/harness.ts';
import { Metrics } from './metrics.ts';

/**
 * Istio's control-plane Grafana dashboard (manifests/addons/dashboards/pilot-dashboard.gen.json in the
 * istio.io/istio Go module the kube-apiserver harness downloads), read at test time, never copied.
 */
function pilotDashboard(): unknown {
  const crds = readFileSync(join(harnessDir('kube-apiserver'), 'istio-crds.path'), 'utf8').trim();
  // <module>/manifests/charts/base/files/crd-all.gen.yaml → <module>
  const moduleDir = join(crds, '..', '..', '..', '..', '..');
  const path = join(moduleDir, 'manifests', 'addons', 'dashboards', 'pilot-dashboard.gen.json');
  if (!existsSync(path)) throw new Error(`Istio's pilot dashboard is not at ${path}`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

function expressions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) expressions(item, out);
  else if (typeof node === 'object' && node !== null)
    for (const [key, value] of Object.entries(node)) {
      if (key === 'expr' && typeof value === 'string') out.push(value);
      else expressions(value, out);
    }
  return out;
}

/** Series the dashboard queries that istiod does not export itself or that meshpilot has no counterpart for. */
const NOT_MEASURED: Readonly<Record<string, string>> = {
  container_: 'cAdvisor (kubelet) series of the istiod container, not istiod metrics',
  go_: "the Go runtime's; meshpilot exports Node.js's process_* and nodejs_* instead",
  envoy_: "scraped from the proxies' Envoy, not from the control plane",
  galley_validation_:
    'istiod validating webhook; meshpilot has none (meshpilot validate, and rejects in /debug/configz)',
  sidecar_injection_: 'istiod sidecar injector; meshpilot injects nothing',
  pilot_k8s_cfg_events: 'not yet counted per Istio config kind',
};

const PROMQL_WORDS = new Set(['sum', 'by', 'rate', 'irate', 'le', 'pod', 'type', 'event', 'tag', 'component']);

interface Query {
  readonly metric: string;
  readonly labels: readonly string[];
}

/** Each series name an expression reads (histogram suffixes dropped) with the labels it groups or filters by. */
function queries(expr: string): Query[] {
  const byLabels = [...expr.matchAll(/by\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()));
  const found: Query[] = [];
  for (const match of expr.matchAll(/([a-z_:][a-z0-9_:]*)\s*(\{([^}]*)\})?/g)) {
    const name = match[1]!;
    if (PROMQL_WORDS.has(name) || name.startsWith('__')) continue;
    if (!name.includes('_')) continue;
    const filters = [...(match[3] ?? '').matchAll(/([a-z_]+)\s*=~?/g)].map((m) => m[1]!);
    found.push({
      metric: name.replace(/_(bucket|sum|count)$/, ''),
      labels: [...byLabels, ...filters].filter((l) => l !== 'le' && l !== 'pod' && l !== 'app' && l !== ''),
    });
  }
  return found;
}

describe("Istio's control-plane dashboard reads meshpilot's metrics unchanged", () => {
  it('every pilot/istio series the dashboard queries exists in meshpilot with the labels it groups by', () => {
    const exprs = expressions(pilotDashboard());
    expect(exprs.length).toBeGreaterThan(10);
    const registry = new Metrics({ defaultMetrics: false }).registry;
    const checked: string[] = [];
    const missing: string[] = [];
    for (const { metric, labels } of exprs.flatMap(queries)) {
      if (Object.keys(NOT_MEASURED).some((prefix) => metric.startsWith(prefix))) continue;
      const found = registry.getSingleMetric(metric);
      if (found === undefined) {
        missing.push(metric);
        continue;
      }
      const labelNames = 'labelNames' in found && Array.isArray(found.labelNames) ? (found.labelNames as string[]) : [];
      for (const label of labels) if (!labelNames.includes(label)) missing.push(`${metric}{${label}}`);
      checked.push(metric);
    }
    expect(missing).toEqual([]);
    expect(new Set(checked)).toEqual(
      new Set([
        'istio_build',
        'pilot_xds_pushes',
        'pilot_k8s_reg_events',
        'pilot_push_triggers',
        'pilot_xds',
        'pilot_total_xds_rejects',
        'pilot_total_xds_internal_errors',
        'pilot_xds_push_time',
        'pilot_xds_config_size_bytes',
      ]),
    );
  });

  it('istio_build carries component="pilot" and a tag, as the dashboard filters', async () => {
    const text = await new Metrics({ defaultMetrics: false }).registry.metrics();
    expect(text).toMatch(/^istio_build\{component="pilot",tag="\d+\.\d+\.\d+[^"]*"\} 1$/m);
  });
});
