import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../protos/any.ts';
import { ENDPOINT_TYPE } from '../protos/type-urls.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { Locality, NetworkGateway, WorkloadEndpoint } from '../model/types.ts';
import { clusterLoadAssignment, sendsUnhealthy, uniqueAddresses, viewEndpoints } from './eds.ts';
import { workloadEndpoint } from './test-support/workload-endpoint.ts';

const NETWORKS = ['n0', 'n1', 'n2', 'n3'];
const LOCALITIES: Locality[] = [
  { region: 'r1', zone: 'z1', subZone: 's1' },
  { region: 'r1', zone: 'z1', subZone: 's2' },
  { region: 'r1', zone: 'z2', subZone: '' },
  { region: 'r2', zone: 'z3', subZone: '' },
];

function view(network: string, locality: Locality): ProxyView {
  return {
    generator: 'envoy',
    proxyType: 'sidecar',
    routerMode: 'standard',
    network,
    locality,
    kubeCluster: 'c0',
    namespace: 'default',
    requestedNetworkView: [],
  };
}

function endpoint(
  i: number,
  network: string,
  locality: Locality,
  extra: Partial<WorkloadEndpoint> = {},
): WorkloadEndpoint {
  return workloadEndpoint({
    kubeCluster: `c-${network}`,
    address: `10.${NETWORKS.indexOf(network)}.0.${i}`,
    network,
    locality,
    ...extra,
  });
}

const meshArbitrary = fc.record({
  endpoints: fc.array(
    fc.record({
      network: fc.constantFrom(...NETWORKS),
      locality: fc.constantFrom(...LOCALITIES),
      ready: fc.boolean(),
      terminating: fc.boolean(),
      mtls: fc.boolean(),
    }),
    { maxLength: 30 },
  ),
  gatewayCounts: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: NETWORKS.length, maxLength: NETWORKS.length }),
  proxyNetwork: fc.constantFrom(...NETWORKS),
  proxyLocality: fc.constantFrom(...LOCALITIES),
});

type Mesh = typeof meshArbitrary extends fc.Arbitrary<infer T> ? T : never;

function build(mesh: Mesh): { endpoints: WorkloadEndpoint[]; gateways: Map<string, NetworkGateway[]> } {
  const endpoints = mesh.endpoints.map((e, i) =>
    endpoint(i + 1, e.network, e.locality, {
      ready: e.ready,
      serving: e.ready,
      terminating: !e.ready && e.terminating,
      tlsMode: e.mtls ? 'istio' : 'disabled',
    }),
  );
  const gateways = new Map<string, NetworkGateway[]>();
  mesh.gatewayCounts.forEach((count, n) => {
    const network = NETWORKS[n]!;
    if (count > 0)
      gateways.set(
        network,
        Array.from({ length: count }, (_, g) => ({ network, address: `192.168.${n}.${g + 1}`, port: 15443 })),
      );
  });
  return { endpoints, gateways };
}

describe('EDS split horizon (property tests over random meshes)', () => {
  it('the weight a proxy sees per network is proportional to the real endpoint counts', () => {
    fc.assert(
      fc.property(meshArbitrary, (mesh) => {
        const { endpoints, gateways } = build(mesh);
        const seen = viewEndpoints(endpoints, gateways, view(mesh.proxyNetwork, mesh.proxyLocality));
        // As Istio: a network without gateways is treated as directly reachable; through a gateway only mTLS;
        // not-ready endpoints count (sent UNHEALTHY, or in their gateway's weight), terminating ones do not.
        const reachable = endpoints.filter(
          (e) =>
            (e.ready || !e.terminating) &&
            (e.network === mesh.proxyNetwork || e.tlsMode === 'istio' || (gateways.get(e.network)?.length ?? 0) === 0),
        );
        const perNetworkWeight = new Map<string, number>();
        for (const e of seen) perNetworkWeight.set(e.network, (perNetworkWeight.get(e.network) ?? 0) + e.weight);
        const scale =
          seen.length > 0 ? (seen.filter((e) => e.network === mesh.proxyNetwork)[0]?.weight ?? undefined) : undefined;
        for (const network of NETWORKS) {
          const count = reachable.filter((e) => e.network === network).length;
          const weight = perNetworkWeight.get(network) ?? 0;
          if (count === 0) expect(weight).toBe(0);
          if (scale !== undefined) expect(weight).toBe(count * scale);
        }
        // Ratios between any two networks equal the ratios of their endpoint counts.
        const totals = NETWORKS.map((n) => ({
          weight: perNetworkWeight.get(n) ?? 0,
          count: reachable.filter((e) => e.network === n).length,
        }));
        for (const a of totals) for (const b of totals) expect(a.weight * b.count).toBe(b.weight * a.count);
      }),
      { numRuns: 300 },
    );
  });

  it('priorities are contiguous from 0', () => {
    fc.assert(
      fc.property(meshArbitrary, (mesh) => {
        const { endpoints, gateways } = build(mesh);
        const priorities = [
          ...new Set(
            viewEndpoints(endpoints, gateways, view(mesh.proxyNetwork, mesh.proxyLocality)).map((e) => e.priority),
          ),
        ].sort();
        expect(priorities).toEqual(priorities.map((_, i) => i));
      }),
      { numRuns: 300 },
    );
  });

  it("sends another network's endpoints as they are only when it has no gateway, and through a gateway only with mTLS", () => {
    fc.assert(
      fc.property(meshArbitrary, (mesh) => {
        const { endpoints, gateways } = build(mesh);
        const seen = viewEndpoints(endpoints, gateways, view(mesh.proxyNetwork, mesh.proxyLocality));
        const byAddress = new Map(endpoints.map((e) => [e.address, e]));
        for (const e of seen) {
          if (e.network === mesh.proxyNetwork) continue;
          const workload = byAddress.get(e.address);
          if (workload) expect(gateways.get(e.network)?.length ?? 0).toBe(0);
          else expect(e.tlsMode).toBe('istio');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('same input gives the same bytes', () => {
    fc.assert(
      fc.property(meshArbitrary, (mesh) => {
        const encode = (): string => {
          const { endpoints, gateways } = build(mesh);
          const cla = clusterLoadAssignment(
            'outbound|5000||h.default.svc.cluster.local',
            viewEndpoints(endpoints, gateways, view(mesh.proxyNetwork, mesh.proxyLocality)),
          );
          return Buffer.from(encodeMessage(ENDPOINT_TYPE, cla.object)).toString('hex');
        };
        expect(encode()).toBe(encode());
      }),
      { numRuns: 100 },
    );
  });

  it('weighs a gateway by the endpoints of every zone behind it, not the first zone only (istio/istio#56355)', () => {
    const zoneA = { region: 'r2', zone: 'a', subZone: '' };
    const zoneB = { region: 'r2', zone: 'b', subZone: '' };
    const endpoints = [
      endpoint(1, 'n1', zoneA),
      endpoint(2, 'n1', zoneB),
      endpoint(3, 'n1', zoneB),
      endpoint(4, 'n1', zoneB),
    ];
    const gateways = new Map([['n1', [{ network: 'n1', address: '192.168.1.1', port: 15443 }]]]);
    const seen = viewEndpoints(endpoints, gateways, view('n0', LOCALITIES[0]!));
    expect(seen.map((e) => [e.address, e.locality.zone, e.weight])).toEqual([
      ['192.168.1.1', 'a', 1],
      ['192.168.1.1', 'b', 3],
    ]);
    expect(seen.reduce((sum, e) => sum + e.weight, 0)).toBe(4);
  });

  it('splits a network across several gateways exactly, scaling every weight by the LCM of gateway counts', () => {
    const local = endpoint(1, 'n0', LOCALITIES[0]!);
    const remote = [endpoint(2, 'n1', LOCALITIES[3]!), endpoint(3, 'n2', LOCALITIES[3]!)];
    const gateways = new Map([
      ['n1', [1, 2].map((g) => ({ network: 'n1', address: `192.168.1.${g}`, port: 15443 }))],
      ['n2', [1, 2, 3].map((g) => ({ network: 'n2', address: `192.168.2.${g}`, port: 15443 }))],
    ]);
    const seen = viewEndpoints([local, ...remote], gateways, view('n0', LOCALITIES[0]!));
    expect(seen.map((e) => [e.address, e.weight, e.priority])).toEqual([
      ['10.0.0.1', 6, 0],
      ['192.168.1.1', 3, 0],
      ['192.168.1.2', 3, 0],
      ['192.168.2.1', 2, 0],
      ['192.168.2.2', 2, 0],
      ['192.168.2.3', 2, 0],
    ]);
  });

  it("prefers the gateways in the endpoint's own kube cluster and scales by every network and kube cluster group", () => {
    const gateways = new Map([
      [
        'n1',
        [
          { network: 'n1', address: '192.168.1.1', port: 15443, kubeCluster: 'c-n1' },
          { network: 'n1', address: '192.168.1.2', port: 15443, kubeCluster: 'c-n1' },
          { network: 'n1', address: '192.168.1.3', port: 15443, kubeCluster: 'other' },
        ],
      ],
    ]);
    const seen = viewEndpoints(
      [endpoint(1, 'n1', LOCALITIES[3]!), endpoint(2, 'n1', LOCALITIES[3]!, { kubeCluster: 'elsewhere' })],
      gateways,
      view('n0', LOCALITIES[0]!),
    );
    // Groups: n1 (3), n1/c-n1 (2), n1/other (1): scale 6. Endpoint 1 → its kube cluster's two gateways (3 each);
    // endpoint 2's kube cluster has none → all three of the network (2 each).
    expect(seen.map((e) => [e.address, e.weight])).toEqual([
      ['192.168.1.1', 5],
      ['192.168.1.2', 5],
      ['192.168.1.3', 2],
    ]);
  });

  it('treats a network without gateways as directly reachable, and sends a proxy without a network through gateways', () => {
    const gateways = new Map([['n1', [{ network: 'n1', address: '192.168.1.1', port: 15443 }]]]);
    const endpoints = [endpoint(1, 'n1', LOCALITIES[0]!), endpoint(2, 'n2', LOCALITIES[0]!, { tlsMode: 'disabled' })];
    expect(viewEndpoints(endpoints, gateways, view('n0', LOCALITIES[0]!)).map((e) => e.address)).toEqual([
      '10.2.0.2',
      '192.168.1.1',
    ]);
    expect(viewEndpoints(endpoints, gateways, view('', LOCALITIES[0]!)).map((e) => e.address)).toEqual([
      '10.2.0.2',
      '192.168.1.1',
    ]);
  });

  it("keeps only the networks of REQUESTED_NETWORK_VIEW (not even the proxy's own) and never sends terminating endpoints", () => {
    const endpoints = [
      endpoint(1, 'n0', LOCALITIES[0]!),
      endpoint(2, 'n1', LOCALITIES[0]!),
      endpoint(3, 'n1', LOCALITIES[0]!, { ready: false, serving: true, terminating: true }),
    ];
    const restricted = { ...view('n1', LOCALITIES[0]!), requestedNetworkView: ['n1'] };
    expect(viewEndpoints(endpoints, new Map(), restricted).map((e) => e.address)).toEqual(['10.1.0.2']);
  });
});

describe('not-ready endpoints, as Istio sends them', () => {
  const notReady = { ready: false, serving: false, terminating: false };

  it('sends a not-ready endpoint UNHEALTHY and counts a remote one in its gateway weight; never a terminating one', () => {
    const endpoints = [
      endpoint(1, 'n0', LOCALITIES[0]!),
      endpoint(2, 'n0', LOCALITIES[0]!, notReady),
      endpoint(3, 'n0', LOCALITIES[0]!, { ready: false, serving: true, terminating: true }),
      endpoint(4, 'n1', LOCALITIES[1]!),
      endpoint(5, 'n1', LOCALITIES[1]!, notReady),
    ];
    const gateways = new Map([['n1', [{ address: '192.168.1.1', port: 15443, network: 'n1' }]]]);
    const seen = viewEndpoints(endpoints, gateways, view('n0', LOCALITIES[0]!));
    expect(seen.map((e) => [e.address, e.healthStatus, e.weight])).toEqual([
      ['10.0.0.1', 'HEALTHY', 1],
      ['10.0.0.2', 'UNHEALTHY', 1],
      ['192.168.1.1', undefined, 2],
    ]);
  });

  it('leaves not-ready endpoints out where the cluster takes no unhealthy ones', () => {
    const endpoints = [endpoint(1, 'n0', LOCALITIES[0]!), endpoint(2, 'n0', LOCALITIES[0]!, notReady)];
    const seen = viewEndpoints(endpoints, new Map(), view('n0', LOCALITIES[0]!), undefined, undefined, '', false);
    expect(seen.map((e) => e.address)).toEqual(['10.0.0.1']);
  });

  it('takes unhealthy endpoints unless outlier detection sets minHealthPercent, always with trafficDistribution', () => {
    const strict = { outlierDetection: { consecutive5xxErrors: 5, minHealthPercent: 50 } };
    expect(sendsUnhealthy({}, undefined)).toBe(true);
    expect(sendsUnhealthy({ outlierDetection: { consecutive5xxErrors: 5 } }, undefined)).toBe(true);
    expect(sendsUnhealthy(strict, undefined)).toBe(false);
    expect(sendsUnhealthy(strict, { trafficDistribution: 'PreferClose' })).toBe(true);
  });
});

describe('EDS for proxyless gRPC: every address once (gRFC A27)', () => {
  it('merges a gateway standing for several localities into its best-priority copy, weights summed', () => {
    const zoneA = { region: 'r1', zone: 'a', subZone: '' };
    const zoneB = { region: 'r3', zone: 'b', subZone: '' };
    const endpoints = [endpoint(1, 'n0', LOCALITIES[0]!), endpoint(2, 'n1', zoneA), endpoint(3, 'n1', zoneB)];
    const gateways = new Map([['n1', [{ network: 'n1', address: '192.168.1.1', port: 15443 }]]]);
    const seen = viewEndpoints(endpoints, gateways, view('n0', LOCALITIES[0]!), {
      setting: {},
      enableFailover: true,
      source: 'test',
    });
    expect(seen.map((e) => [e.address, e.priority, e.weight])).toEqual([
      ['192.168.1.1', 1, 1],
      ['10.0.0.1', 0, 1],
      ['192.168.1.1', 2, 1],
    ]);
    const unique = uniqueAddresses(seen);
    expect(unique.map((e) => [e.address, e.priority, e.weight, e.locality.zone, e.standsFor])).toEqual([
      ['192.168.1.1', 1, 2, 'a', 2],
      ['10.0.0.1', 0, 1, 'z1', undefined],
    ]);
  });

  it('keeps weights and makes priorities contiguous over random meshes', () => {
    fc.assert(
      fc.property(meshArbitrary, (mesh) => {
        const { endpoints, gateways } = build(mesh);
        const seen = viewEndpoints(endpoints, gateways, view(mesh.proxyNetwork, mesh.proxyLocality), {
          setting: {},
          enableFailover: true,
          source: 'test',
        });
        const unique = uniqueAddresses(seen);
        const addresses = unique.map((e) => `${e.address}:${e.port}`);
        expect(new Set(addresses).size).toBe(addresses.length);
        expect(new Set(addresses)).toEqual(new Set(seen.map((e) => `${e.address}:${e.port}`)));
        const total = (list: readonly { weight: number }[]) => list.reduce((sum, e) => sum + e.weight, 0);
        expect(total(unique)).toBe(total(seen));
        const priorities = [...new Set(unique.map((e) => e.priority))].sort((a, b) => a - b);
        expect(priorities).toEqual(priorities.map((_, i) => i));
      }),
      { numRuns: 200 },
    );
  });
});

describe('EDS endpoint metadata on the wire', () => {
  it("carries tlsMode only for Istio mTLS endpoints, and Istio's telemetry label (a Struct, encoded field by field)", async () => {
    const { decodeMessage } = await import('../protos/any.ts');
    const gateways = new Map([['n1', [{ network: 'n1', address: '192.168.1.1', port: 15443, kubeCluster: 'c-n1' }]]]);
    const endpoints = viewEndpoints(
      [
        endpoint(1, 'n0', LOCALITIES[0]!, {
          tlsMode: 'disabled',
          podName: 'web-0',
          labels: { app: 'web', version: 'v1' },
        }),
        endpoint(2, 'n1', LOCALITIES[0]!),
      ],
      gateways,
      view('n0', LOCALITIES[0]!),
      undefined,
      undefined,
      'shop',
    );
    const cla = clusterLoadAssignment('outbound|5000||h.default.svc.cluster.local', endpoints);
    const wire = decodeMessage(ENDPOINT_TYPE, encodeMessage(ENDPOINT_TYPE, cla.object)) as {
      endpoints: {
        lb_endpoints: {
          metadata: { filter_metadata: Record<string, { fields: Record<string, { stringValue: string }> }> };
        }[];
      }[];
    };
    const metadata = wire.endpoints.flatMap((l) => l.lb_endpoints).map((e) => e.metadata.filter_metadata);
    expect(metadata.map((m) => m['envoy.transport_socket_match']?.fields.tlsMode?.stringValue)).toEqual([
      undefined,
      'istio',
    ]);
    expect(metadata.map((m) => m.istio!.fields.workload!.stringValue)).toEqual(['web-0;shop;web;v1;c-n0', ';;;;c-n1']);
  });
});
