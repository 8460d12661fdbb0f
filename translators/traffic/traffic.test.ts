import { beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import type { AnyIstioConfig } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { explainServiceEndpoints } from '../eds-explain.ts';
import { translateAll } from '../index.ts';
import { virtualServiceRetryPolicy } from './retry.ts';
import { onTheWire } from '../test-support/golden.ts';
import { istioObject, withIstioConfig } from '../test-support/istio-config.ts';
import { explainOptIns } from '../opt-in-explain.ts';
import { loadSeedSnapshot, SEED_VIEWS } from '../test-support/seed-snapshot.ts';
import { destinationRuleFor } from './destination-rule.ts';
import { GATEWAY_PANIC_THRESHOLD_PERCENT } from './gateway-ejection.ts';
import { virtualServiceFor } from './virtual-service.ts';

const HOST = 'helloworld.default.svc.cluster.local';
const CLUSTER = `outbound|5000||${HOST}`;

let seed: MeshSnapshot;
beforeAll(async () => {
  seed = await loadSeedSnapshot();
});

function wire(
  typeUrl: typeof CLUSTER_TYPE | typeof ENDPOINT_TYPE,
  snapshot: MeshSnapshot,
  view: ProxyView,
  name: string,
): Record<string, unknown> {
  const found = translateAll(typeUrl, snapshot, view).find((r) => r.name === name);
  if (!found) throw new Error(`no ${name}`);
  return onTheWire(found);
}

const dr = (
  namespace: string,
  name: string,
  host: string,
  extra: Partial<{ exportTo: string[]; created: string }> = {},
): AnyIstioConfig =>
  istioObject(
    'DestinationRule',
    namespace,
    name,
    { host, subsets: [{ name, labels: { rule: name } }], ...(extra.exportTo ? { exportTo: extra.exportTo } : {}) },
    extra.created,
  );

describe('DestinationRule selection', () => {
  it('resolves short names in the rule namespace, prefers exact hosts over wildcards and longer wildcards over shorter', () => {
    const service = seed.services.get(HOST)!;
    const pick = (objects: AnyIstioConfig[], viewNamespace = 'default') =>
      destinationRuleFor(withIstioConfig(seed, objects).istioConfig, service, viewNamespace, 'cluster.local')?.meta
        .name;
    expect(pick([dr('default', 'short', 'helloworld')])).toBe('short');
    expect(pick([dr('other', 'short', 'helloworld')])).toBeUndefined(); // helloworld.other.svc.cluster.local
    expect(pick([dr('default', 'all', '*'), dr('default', 'ns', '*.default.svc.cluster.local')])).toBe('ns');
    expect(pick([dr('default', 'ns', '*.default.svc.cluster.local'), dr('istio-system', 'exact', HOST)])).toBe('exact');
  });

  it('breaks ties by the proxy namespace, then the service namespace, then the root namespace, then age; honours exportTo', () => {
    const service = seed.services.get(HOST)!;
    const pick = (objects: AnyIstioConfig[], viewNamespace: string) =>
      destinationRuleFor(withIstioConfig(seed, objects).istioConfig, service, viewNamespace, 'cluster.local')?.meta
        .name;
    const rules = [dr('istio-system', 'root', HOST), dr('default', 'service', HOST), dr('client', 'proxy', HOST)];
    expect(pick(rules, 'client')).toBe('proxy');
    expect(pick(rules, 'elsewhere')).toBe('service');
    expect(pick([dr('istio-system', 'root', HOST), dr('team', 'team', HOST)], 'elsewhere')).toBe('root');
    expect(
      pick(
        [
          dr('team', 'young', HOST, { created: '2024-02-01T00:00:00Z' }),
          dr('team', 'old', HOST, { created: '2024-01-01T00:00:00Z' }),
        ],
        'x',
      ),
    ).toBe('old');
    expect(pick([dr('default', 'private', HOST, { exportTo: ['.'] })], 'client')).toBeUndefined();
    expect(pick([dr('default', 'private', HOST, { exportTo: ['.'] })], 'default')).toBe('private');
  });

  it('applies VirtualServices bound to the mesh only', () => {
    const service = seed.services.get(HOST)!;
    const vs = (name: string, gateways?: string[]) =>
      istioObject('VirtualService', 'default', name, {
        hosts: ['helloworld'],
        ...(gateways ? { gateways } : {}),
        http: [{ route: [{ destination: { host: 'helloworld' } }] }],
      });
    const pick = (objects: AnyIstioConfig[]) =>
      virtualServiceFor(withIstioConfig(seed, objects).istioConfig, service, 'default', 'cluster.local')?.meta.name;
    expect(pick([vs('ingress', ['istio-system/ingress'])])).toBeUndefined();
    expect(pick([vs('both', ['istio-system/ingress', 'mesh'])])).toBe('both');
  });
});

describe('the east-west gateway ejection remedy, structurally (optIn.gatewayEjectionRemedy, optIn.grpcOutlierDetection)', () => {
  const withOptIns = (snapshot: MeshSnapshot): MeshSnapshot => ({
    ...snapshot,
    optIn: { gatewayEjectionRemedy: true, grpcOutlierDetection: true },
  });
  const outlier = (minHealthPercent?: number): AnyIstioConfig[] => [
    istioObject('DestinationRule', 'default', 'helloworld', {
      host: HOST,
      trafficPolicy: {
        outlierDetection: {
          consecutive5xxErrors: 5,
          maxEjectionPercent: 100,
          ...(minHealthPercent !== undefined ? { minHealthPercent } : {}),
        },
      },
    }),
  ];

  it('Envoy: keeps a healthy panic threshold above 0 when the cluster reaches another network through gateways', () => {
    const cluster = wire(
      CLUSTER_TYPE,
      withOptIns(withIstioConfig(seed, outlier())),
      SEED_VIEWS.sidecarGroup20,
      CLUSTER,
    );
    expect(cluster.common_lb_config).toMatchObject({
      healthy_panic_threshold: { value: GATEWAY_PANIC_THRESHOLD_PERCENT },
    });
    expect(cluster.outlier_detection).toMatchObject({
      consecutive_5xx: { value: 5 },
      max_ejection_percent: { value: 100 },
    });
    // The user's larger minimum stands.
    expect(
      wire(CLUSTER_TYPE, withOptIns(withIstioConfig(seed, outlier(40))), SEED_VIEWS.sidecarGroup20, CLUSTER)
        .common_lb_config,
    ).toMatchObject({ healthy_panic_threshold: { value: 40 } });
  });

  it('Envoy: a proxy outside any network gets Istio’s behaviour (panic threshold = minHealthPercent, 0: an empty Percent)', () => {
    const cluster = wire(
      CLUSTER_TYPE,
      withOptIns(withIstioConfig(seed, outlier())),
      { ...SEED_VIEWS.sidecarGroup20, network: '' },
      CLUSTER,
    );
    expect((cluster.common_lb_config as Record<string, unknown>).healthy_panic_threshold).toEqual({});
  });

  it('proxyless gRPC: max_ejection_percent 0 when gateways may be reached, the configured bound otherwise', () => {
    const snapshot = withOptIns(withIstioConfig(seed, outlier()));
    expect(wire(CLUSTER_TYPE, snapshot, SEED_VIEWS.grpcGroup20, CLUSTER).outlier_detection).toMatchObject({
      max_ejection_percent: { value: 0 },
      enforcing_failure_percentage: { value: 100 },
    });
    expect(
      wire(CLUSTER_TYPE, snapshot, { ...SEED_VIEWS.grpcGroup20, network: '' }, CLUSTER).outlier_detection,
    ).toMatchObject({ max_ejection_percent: { value: 100 } });
    const onlyGroup20 = { ...SEED_VIEWS.grpcGroup20, requestedNetworkView: ['group20'] };
    expect(wire(CLUSTER_TYPE, snapshot, onlyGroup20, CLUSTER).outlier_detection).toMatchObject({
      max_ejection_percent: { value: 100 },
    });
  });

  it('is off by default, as Istio: panic threshold = minHealthPercent, no outlier detection for proxyless gRPC', () => {
    const snapshot = withIstioConfig(seed, outlier());
    expect(
      (wire(CLUSTER_TYPE, snapshot, SEED_VIEWS.sidecarGroup20, CLUSTER).common_lb_config as Record<string, unknown>)
        .healthy_panic_threshold,
    ).toEqual({});
    expect(wire(CLUSTER_TYPE, snapshot, SEED_VIEWS.grpcGroup20, CLUSTER).outlier_detection).toBeUndefined();
    expect(explainOptIns(snapshot, SEED_VIEWS.grpcGroup20, HOST)).toEqual([]);
  });

  it('explain names each opt-in that changes a cluster of the proxy', () => {
    const snapshot = withOptIns(withIstioConfig(seed, outlier()));
    expect(explainOptIns(snapshot, SEED_VIEWS.grpcGroup20, HOST).map((o) => [o.key, o.cluster])).toEqual([
      ['optIn.grpcOutlierDetection', CLUSTER],
      ['optIn.gatewayEjectionRemedy', CLUSTER],
    ]);
    expect(explainOptIns(snapshot, SEED_VIEWS.sidecarGroup20, HOST).map((o) => o.key)).toEqual([
      'optIn.gatewayEjectionRemedy',
    ]);
    // A proxy outside any network reaches no gateway: the remedy changes nothing for it.
    expect(explainOptIns(snapshot, { ...SEED_VIEWS.sidecarGroup20, network: '' }, HOST)).toEqual([]);
  });
});

describe('locality failover from a DestinationRule', () => {
  // A proxy in cn/elsewhere: both helloworld endpoints (cn/shanghai-20 local, cn/shanghai-130 via the gateway) are "same region".
  const view = (generator: 'envoy' | 'grpc'): ProxyView => ({
    ...SEED_VIEWS.sidecarGroup20,
    generator,
    locality: { region: 'cn', zone: 'elsewhere', subZone: '' },
  });
  const rule = (outlier: boolean): AnyIstioConfig[] => [
    istioObject('DestinationRule', 'default', 'helloworld', {
      host: HOST,
      trafficPolicy: {
        loadBalancer: { localityLbSetting: { failoverPriority: ['topology.istio.io/network'] } },
        ...(outlier ? { outlierDetection: { consecutive5xxErrors: 5 } } : {}),
      },
    }),
  ];
  const priorities = (snapshot: MeshSnapshot, v: ProxyView): Record<string, number> => {
    const cla = wire(ENDPOINT_TYPE, snapshot, v, CLUSTER) as {
      endpoints: {
        priority?: number;
        lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[];
      }[];
    };
    return Object.fromEntries(
      cla.endpoints.flatMap((l) =>
        l.lb_endpoints.map((e) => [e.endpoint.address.socket_address.address, l.priority ?? 0]),
      ),
    );
  };

  it('applies failoverPriority only with outlier detection, for Envoy and proxyless gRPC alike (as Istio)', () => {
    expect(priorities(withIstioConfig(seed, rule(false)), view('envoy'))).toEqual({
      '192.192.146.69': 0,
      '10.64.31.211': 0,
    });
    expect(priorities(withIstioConfig(seed, rule(true)), view('envoy'))).toEqual({
      '192.192.146.69': 0,
      '10.64.31.211': 1,
    });
    expect(priorities(withIstioConfig(seed, rule(false)), view('grpc'))).toEqual({
      '192.192.146.69': 0,
      '10.64.31.211': 0,
    });
    expect(priorities(withIstioConfig(seed, rule(true)), view('grpc'))).toEqual({
      '192.192.146.69': 0,
      '10.64.31.211': 1,
    });
  });

  it('explains the priority with the failover rule, for the default and the subset clusters', () => {
    const objects = rule(true).map((o) =>
      o.kind === 'DestinationRule'
        ? { ...o, spec: { ...o.spec, subsets: [{ name: 'v2', labels: { version: 'v2' } }] } }
        : o,
    ) as AnyIstioConfig[];
    const explained = explainServiceEndpoints(withIstioConfig(seed, objects), view('envoy'), HOST);
    const gateway = explained.find((e) => e.cluster === CLUSTER && e.outcome === 'via-gateway');
    expect(gateway).toMatchObject({ priority: 1, sentAs: ['10.64.31.211:15443'] });
    expect(gateway?.reason).toContain('failoverPriority label topology.istio.io/network differs');
    expect(explained.find((e) => e.cluster === CLUSTER && e.outcome === 'local')?.reason).toContain(
      'every failoverPriority label (topology.istio.io/network) matches',
    );
    expect(explained.filter((e) => e.cluster === `outbound|5000|v2|${HOST}`).map((e) => e.outcome)).toEqual([
      'via-gateway',
    ]);
  });
});

describe('VirtualService retries', () => {
  it('replace the default policy: attempts, per-try timeout, retryOn with status codes; 0 attempts = none', () => {
    expect(virtualServiceRetryPolicy({ attempts: 0 })).toBeUndefined();
    expect(virtualServiceRetryPolicy({ attempts: 3, perTryTimeout: 250, retryOn: 'gateway-error,502' })).toMatchObject({
      num_retries: { value: 3 },
      per_try_timeout: { nanos: 250_000_000 },
      retry_on: 'gateway-error,retriable-status-codes',
      retriable_status_codes: [502],
    });
    expect(virtualServiceRetryPolicy({ attempts: 1, retryOn: 'unavailable' })).not.toHaveProperty(
      'retriable_status_codes',
    );
  });
});

describe('VirtualService tcp routes', () => {
  it('split a sidecar TCP listener across weighted clusters; a route with destinationSubnets is skipped', async () => {
    const { richSnapshot, richView } = await import('../test-support/rich-snapshot.ts');
    const { LISTENER_TYPE } = await import('../../protos/type-urls.ts');
    const APP = 'app.default.svc.cluster.local';
    const vs = (tcp: NonNullable<import('../../model/istio/types.ts').VirtualServiceSpec['tcp']>) =>
      withIstioConfig(richSnapshot(), [istioObject('VirtualService', 'default', 'app', { hosts: ['app'], tcp })]);
    const proxy = (snapshot: MeshSnapshot) => {
      const listener = onTheWire(
        translateAll(LISTENER_TYPE, snapshot, richView()).find((r) => r.name === '10.0.0.1_3306')!,
      );
      return (listener.filter_chains as { filters: { typed_config: Record<string, unknown> }[] }[])[0]!.filters[0]!
        .typed_config;
    };
    const split = vs([
      {
        match: [{ port: 3306 }],
        route: [
          { destination: { host: 'app', subset: 'v1' }, weight: 75 },
          { destination: { host: 'app', subset: 'v2' }, weight: 25 },
        ],
      },
    ]);
    expect(proxy(split)).toMatchObject({
      stat_prefix: `outbound|3306||${APP}`,
      weighted_clusters: {
        clusters: [
          { name: `outbound|3306|v1|${APP}`, weight: 75 },
          { name: `outbound|3306|v2|${APP}`, weight: 25 },
        ],
      },
    });
    const subnets = vs([
      { match: [{ destinationSubnets: ['10.0.0.0/8'] }], route: [{ destination: { host: 'app', subset: 'v1' } }] },
    ]);
    expect(proxy(subnets)).toMatchObject({ cluster: `outbound|3306||${APP}` });
  });
});
