import { describe, expect, it } from 'vitest';
import type { ProxyView } from '../../model/proxy-view.ts';
import { buildClusters } from '../cds.ts';
import { buildListeners } from '../lds.ts';
import { buildNameTable } from '../nds.ts';
import { richSnapshot, richView } from '../test-support/rich-snapshot.ts';

/**
 * A sidecar's listener and bind addresses by its IP family, as Istio with ISTIO_DUAL_STACK off
 * (listener_address.go, buildInboundPassthroughCluster, GetAllAddressesForProxy); the dual-stack
 * oracle mesh checks the same against Istio's own pilot.
 */
const snapshot = richSnapshot();

function listeners(view: ProxyView): Map<string, Record<string, unknown>> {
  return new Map(buildListeners(snapshot, view).map((r) => [r.name, r.object as Record<string, unknown>]));
}

function inboundPassthroughBind(view: ProxyView): unknown {
  const cluster = buildClusters(snapshot, view).find((r) => r.name === 'InboundPassthroughCluster');
  return (cluster?.object as { upstream_bind_config?: unknown } | undefined)?.upstream_bind_config;
}

function nameTableIps(view: ProxyView): Record<string, unknown> {
  const table = (buildNameTable(snapshot, view)[0]?.object as { table: Record<string, { ips: string[] }> }).table;
  return Object.fromEntries(Object.entries(table).map(([host, entry]) => [host, entry.ips]));
}

describe('sidecar addresses by IP family', () => {
  it('an IPv4 (or unknown) proxy: 0.0.0.0 wildcards, inbound passthrough from 127.0.0.6', () => {
    for (const view of [richView({ ipFamily: 'ipv4' }), richView()]) {
      const byName = listeners(view);
      expect(byName.get('virtualOutbound')?.address).toEqual({
        socket_address: { address: '0.0.0.0', port_value: 15001 },
      });
      expect(byName.get('virtualInbound')?.address).toEqual({
        socket_address: { address: '0.0.0.0', port_value: 15006 },
      });
      expect(byName.get('0.0.0.0_80')?.additional_addresses).toBeUndefined();
      expect(inboundPassthroughBind(view)).toEqual({ source_address: { address: '127.0.0.6', port_value: 0 } });
    }
  });

  it('an IPv6-only proxy: :: wildcards and ::_<port> HTTP listeners, inbound passthrough from ::6, no IPv4 VIP in NDS', () => {
    const view = richView({ ipFamily: 'ipv6' });
    const byName = listeners(view);
    expect(byName.get('virtualOutbound')?.address).toEqual({ socket_address: { address: '::', port_value: 15001 } });
    expect(byName.get('virtualInbound')?.address).toEqual({ socket_address: { address: '::', port_value: 15006 } });
    expect(byName.has('0.0.0.0_80')).toBe(false);
    expect(byName.get('::_80')?.address).toEqual({ socket_address: { address: '::', port_value: 80 } });
    expect(inboundPassthroughBind(view)).toEqual({ source_address: { address: '::6', port_value: 0 } });
    // Every VIP of the rich mesh is IPv4: an IPv6-only proxy resolves none of them (headless ones keep their pods).
    expect(Object.values(nameTableIps(view)).flat()).not.toContain('10.0.0.1');
    expect(Object.keys(nameTableIps(richView({ ipFamily: 'ipv4' })))).toContain('app.default.svc.cluster.local');
  });

  it('a dual-stack proxy: 0.0.0.0_<port> also on ::, inbound passthrough from 127.0.0.6 and ::6, virtual listeners IPv4 only', () => {
    const view = richView({ ipFamily: 'dual' });
    const byName = listeners(view);
    expect(byName.get('0.0.0.0_80')?.additional_addresses).toEqual([
      { address: { socket_address: { address: '::', port_value: 80 } } },
    ]);
    expect(byName.get('virtualOutbound')?.additional_addresses).toBeUndefined();
    expect(byName.get('virtualInbound')?.additional_addresses).toBeUndefined();
    expect(inboundPassthroughBind(view)).toEqual({
      source_address: { address: '127.0.0.6', port_value: 0 },
      extra_source_addresses: [{ address: { address: '::6', port_value: 0 } }],
    });
    expect(nameTableIps(view)).toEqual(nameTableIps(richView({ ipFamily: 'ipv4' })));
  });
});
