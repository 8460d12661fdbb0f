import { beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_TYPE } from '../../protos/type-urls.ts';
import type { IstioConfig, TelemetrySpec } from '../../model/istio/types.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { translateAll } from '../index.ts';
import { expectGolden, onTheWire, wireResources } from '../test-support/golden.ts';
import { istioObject, withIstioConfig } from '../test-support/istio-config.ts';
import { RICH_APP_IP, richView } from '../test-support/rich-snapshot.ts';
import { SEED_TELEMETRY, securedRichSnapshot, TELEMETRIES } from '../test-support/secured-snapshot.ts';
import { loadSeedSnapshot, SEED_VIEWS } from '../test-support/seed-snapshot.ts';
import { workloadScope, type WorkloadScope } from '../security/workload-scope.ts';
import { statsFilters, statsMetrics } from './stats-filter.ts';

const SCOPE: WorkloadScope = { namespace: 'default', labels: { app: 'app' }, rootNamespace: 'istio-system' };
const telemetry = (namespace: string, name: string, spec: TelemetrySpec): IstioConfig<'Telemetry'> =>
  istioObject('Telemetry', namespace, name, spec);
const upsert = (value: string) => ({ operation: 'UPSERT' as const, value });

describe('Telemetry → istio.stats metric configs', () => {
  it('maps the seed example per mode: CLIENT for outbound, SERVER for inbound', () => {
    expect(statsMetrics([SEED_TELEMETRY as IstioConfig<'Telemetry'>], SCOPE, 'CLIENT')).toEqual([
      {
        name: '',
        dimensions: { destination_cluster: 'upstream_peer.cluster_id', source_cluster: "node.metadata['CLUSTER_ID']" },
        tags_to_remove: [],
      },
    ]);
    expect(statsMetrics([SEED_TELEMETRY as IstioConfig<'Telemetry'>], SCOPE, 'SERVER')).toEqual([
      {
        name: '',
        dimensions: {
          destination_cluster: "node.metadata['CLUSTER_ID']",
          source_cluster: 'downstream_peer.cluster_id',
        },
        tags_to_remove: [],
      },
    ]);
  });

  it('applies only when a Telemetry selects the workload; more specific levels win per tag; REMOVE and disabled', () => {
    expect(
      statsMetrics(
        [telemetry('other', 't', { metrics: [{ overrides: [{ tagOverrides: { a: upsert('x') } }] }] })],
        SCOPE,
        'SERVER',
      ),
    ).toBeUndefined();
    expect(
      statsMetrics(
        [telemetry('default', 't', { selector: { matchLabels: { app: 'nope' } }, metrics: [] })],
        SCOPE,
        'SERVER',
      ),
    ).toBeUndefined();
    const mesh = telemetry('istio-system', 'mesh', {
      metrics: [{ overrides: [{ tagOverrides: { a: upsert('mesh'), b: upsert('mesh') } }] }],
    });
    const workload = telemetry('default', 'wl', {
      selector: { matchLabels: { app: 'app' } },
      metrics: [
        {
          overrides: [
            { tagOverrides: { a: upsert('workload'), b: { operation: 'REMOVE' } } },
            { match: { metric: 'REQUEST_COUNT' }, disabled: true },
          ],
        },
      ],
    });
    const ns = telemetry('default', 'ns', { metrics: [{ overrides: [{ tagOverrides: { a: upsert('namespace') } }] }] });
    expect(statsMetrics([workload, ns, mesh], SCOPE, 'CLIENT')).toEqual([
      { name: '', dimensions: { a: 'workload' }, tags_to_remove: ['b'] },
      { name: 'requests_total', dimensions: {}, tags_to_remove: [], drop: true },
    ]);
  });

  it('ignores metrics sections for other providers', () => {
    const other = telemetry('default', 't', {
      metrics: [{ providers: [{ name: 'stackdriver' }], overrides: [{ tagOverrides: { a: upsert('x') } }] }],
    });
    expect(statsMetrics([other], SCOPE, 'SERVER')).toEqual([]);
  });
});

describe('istio.stats in the sidecar virtualInbound', () => {
  let seed: MeshSnapshot;
  beforeAll(async () => {
    seed = withIstioConfig(await loadSeedSnapshot(), [SEED_TELEMETRY]);
  });

  it('the seed Telemetry: golden virtualInbound of the seed helloworld sidecar, and the CLIENT filter for its outbound side', () => {
    const inbound = translateAll(LISTENER_TYPE, seed, SEED_VIEWS.sidecarGroup20).filter(
      (r) => r.name === 'virtualInbound',
    );
    expectGolden('telemetry.seed.sidecar-inbound.lds.json', wireResources(inbound));
    expectGolden(
      'telemetry.seed.client-stats-filter.json',
      statsFilters(seed.istioConfig.telemetries, workloadScope(seed, SEED_VIEWS.sidecarGroup20), 'CLIENT'),
    );
  });

  it('the seed Telemetry reaches the outbound side too: the CLIENT filter before the router of the seed sidecar’s HTTP listeners', async () => {
    const outbound = translateAll(LISTENER_TYPE, seed, SEED_VIEWS.sidecarGroup20).filter((r) =>
      r.name.startsWith('0.0.0.0_'),
    );
    expect(outbound.length).toBeGreaterThan(0);
    const client = statsFilters(seed.istioConfig.telemetries, workloadScope(seed, SEED_VIEWS.sidecarGroup20), 'CLIENT');
    for (const listener of outbound) {
      const wire = JSON.stringify(onTheWire(listener));
      expect(wire).toContain('"name":"istio.stats"');
      expect(wire.indexOf('istio.stats')).toBeLessThan(wire.indexOf('envoy.filters.http.router'));
    }
    expect(client).toHaveLength(1);
    const without = translateAll(LISTENER_TYPE, await loadSeedSnapshot(), SEED_VIEWS.sidecarGroup20).filter((r) =>
      r.name.startsWith('0.0.0.0_'),
    );
    expect(JSON.stringify(without.map(onTheWire))).not.toContain('istio.stats');
  });

  it('sits after RBAC and before tcp_proxy on chains reaching the app, with the TypedStruct Struct encoded (not empty)', () => {
    const listener = onTheWire(
      translateAll(LISTENER_TYPE, securedRichSnapshot(), richView()).find((r) => r.name === 'virtualInbound')!,
    ) as {
      filter_chains: { name: string; filters: { name: string; typed_config: Record<string, unknown> }[] }[];
    };
    const chain = listener.filter_chains.find((c) => c.name === 'inbound|9000||-mtls')!;
    expect(chain.filters.map((f) => f.name)).toEqual([
      'envoy.filters.network.rbac.audit',
      'envoy.filters.network.rbac.deny',
      'envoy.filters.network.rbac.allow',
      'istio.stats',
      'envoy.filters.network.tcp_proxy',
    ]);
    const stats = chain.filters[3]!.typed_config;
    expect(stats['@type']).toBe('type.googleapis.com/udpa.type.v1.TypedStruct');
    expect(stats['type_url']).toBe('type.googleapis.com/stats.PluginConfig');
    expect(JSON.stringify(stats['value'])).toContain('downstream_peer.cluster_id');
    expect(JSON.stringify(stats['value'])).toContain('request_protocol');
  });

  it('is absent without Telemetry, and for a workload no Telemetry selects beyond the mesh-wide one', () => {
    const none = JSON.stringify(
      translateAll(LISTENER_TYPE, withIstioConfig(securedRichSnapshot(), []), richView()).map(onTheWire),
    );
    expect(none).not.toContain('istio.stats');
    const meshOnly = securedRichSnapshot(TELEMETRIES.slice(1));
    expect(
      JSON.stringify(translateAll(LISTENER_TYPE, meshOnly, richView({ workloadIp: '10.1.0.6' })).map(onTheWire)),
    ).not.toContain('istio.stats');
    expect(
      JSON.stringify(translateAll(LISTENER_TYPE, meshOnly, richView({ workloadIp: RICH_APP_IP })).map(onTheWire)),
    ).toContain('istio.stats');
  });
});
