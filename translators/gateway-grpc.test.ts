import { describe, expect, it } from 'vitest';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, NAME_TABLE_TYPE, ROUTE_TYPE } from '../protos/type-urls.ts';
import { viewKey } from '../model/proxy-view.ts';
import { sharedView, translateAll, translatorFor } from './index.ts';
import { onTheWire } from './test-support/golden.ts';
import { RICH_APP_IP, richSnapshot, richView } from './test-support/rich-snapshot.ts';

const snapshot = richSnapshot();

describe('east-west gateway (sni-dnat)', () => {
  const router = richView({ proxyType: 'router', routerMode: 'sni-dnat' });

  it('passes every proxied port of every non-headless service through by SNI, with a matching cluster each', () => {
    const listener = onTheWire(translateAll(LISTENER_TYPE, snapshot, router)[0]!) as {
      name: string;
      filter_chains: { filter_chain_match: { server_names: string[] } }[];
    };
    expect(listener.name).toBe('0.0.0.0_15443');
    const snis = listener.filter_chains.map((c) => c.filter_chain_match.server_names[0]);
    expect(snis).toContain('outbound_.9000_._.app.default.svc.cluster.local');
    expect(snis).toContain('outbound_.8080_._.remote-only.default.svc.cluster.local');
    expect(snis.some((s) => s?.includes('db.default') || s?.startsWith('outbound_.53_'))).toBe(false);
    const clusters = new Set(translateAll(CLUSTER_TYPE, snapshot, router).map((r) => r.name));
    for (const sni of snis) expect(clusters.has(sni!)).toBe(true);
  });

  it('is the same whatever networks the gateway asks to see, and absent for a standard router', () => {
    const bytes = (view: typeof router) => JSON.stringify(translateAll(LISTENER_TYPE, snapshot, view).map(onTheWire));
    expect(bytes({ ...router, requestedNetworkView: ['net-west'] })).toBe(bytes(router));
    expect(translateAll(LISTENER_TYPE, snapshot, { ...router, routerMode: 'standard' })).toEqual([]);
  });
});

describe('proxyless gRPC server listeners', () => {
  const grpc = richView({ generator: 'grpc' });

  it('exist for each workload port at the pod IP and both wildcards, with the exact socket_address and a non-forwarding route', () => {
    const listeners = translateAll(LISTENER_TYPE, snapshot, grpc).filter((r) =>
      r.name.startsWith('xds.istio.io/grpc/lds/inbound/'),
    );
    expect(listeners.map((l) => l.name)).toEqual(
      [3306, 8080, 9000].flatMap((p) =>
        [`${RICH_APP_IP}:${p}`, `0.0.0.0:${p}`, `[::]:${p}`].map((a) => `xds.istio.io/grpc/lds/inbound/${a}`),
      ),
    );
    const v6 = onTheWire(listeners.find((l) => l.name.endsWith('[::]:9000'))!);
    expect(v6).toMatchObject({
      address: { socket_address: { address: '::', port_value: 9000 } },
      filter_chains: [
        {
          filters: [
            {
              typed_config: {
                route_config: {
                  virtual_hosts: [{ domains: ['*'], routes: [{ match: { prefix: '/' }, non_forwarding_action: {} }] }],
                },
                http_filters: [{ name: 'envoy.filters.http.router' }],
              },
            },
          ],
        },
      ],
    });
    expect(v6).not.toHaveProperty('listener_filters');
    expect(v6).not.toHaveProperty('use_original_dst');
  });

  it('keeps the client api listeners, and has no server listener without a workload', () => {
    const { workloadIp: _ip, ...anonymous } = grpc;
    const names = translateAll(LISTENER_TYPE, snapshot, anonymous).map((r) => r.name);
    expect(names).toContain('app.default.svc.cluster.local:9000');
    expect(names.some((n) => n.startsWith('xds.istio.io/'))).toBe(false);
  });
});

describe('shared and per-workload parts', () => {
  it('the shared part does not depend on the workload, so every pod of a view shares it', () => {
    const a = richView();
    const b = richView({ workloadIp: '10.1.0.99' });
    for (const typeUrl of [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, NAME_TABLE_TYPE]) {
      const shared = translatorFor(typeUrl)!.shared;
      expect(viewKey(sharedView(a, snapshot))).toBe(viewKey(sharedView(b, snapshot)));
      expect(shared(snapshot, sharedView(a, snapshot))).toEqual(shared(snapshot, a));
    }
  });

  it('shared plus per-workload is everything, and only CDS, LDS and RDS (a router Gateway routes) have a per-workload part', () => {
    for (const view of [
      richView(),
      richView({ generator: 'grpc' }),
      richView({ proxyType: 'router', routerMode: 'sni-dnat' }),
    ]) {
      for (const typeUrl of [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, NAME_TABLE_TYPE]) {
        const translator = translatorFor(typeUrl)!;
        const parts = [
          ...translator.shared(snapshot, sharedView(view, snapshot)),
          ...(translator.perWorkload?.(snapshot, view) ?? []),
        ];
        expect(translateAll(typeUrl, snapshot, view)).toEqual(parts);
        expect(translator.perWorkload !== undefined).toBe(
          typeUrl === CLUSTER_TYPE || typeUrl === LISTENER_TYPE || typeUrl === ROUTE_TYPE,
        );
      }
    }
    const sidecarInbound = translatorFor(CLUSTER_TYPE)!.perWorkload!(snapshot, richView()).map((r) => r.name);
    expect(sidecarInbound.every((name) => name.startsWith('inbound|'))).toBe(true);
    expect(sidecarInbound.length).toBeGreaterThan(0);
  });
});
