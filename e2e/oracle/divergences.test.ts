import { describe, expect, it } from 'vitest';
import type { Difference } from './compare.ts';
import { matches, parseDivergences, renderTable, stalePaths } from './divergences.ts';

const ROW = `
- id: sds
  status: extra, missing
  type: cds
  probe: ['sidecar-*', 'eastwest-*']
  path:
    - 'transport_socket*.sds_config.ads'
    - 'transport_socket*.sds_config.api_config_source'
  what: w
  why: y
  istio: i
`;

function difference(over: Partial<Difference>): Difference {
  return {
    mesh: 'm',
    probe: 'sidecar-c1',
    type: 'cds',
    resource: 'outbound|5000||hello.demo.svc.cluster.local',
    path: 'transport_socket_matches[tlsMode-istio].transport_socket.sds_config.ads',
    status: 'extra',
    ...over,
  };
}

describe('divergence rows', () => {
  it('take lists of statuses, probes and exact paths, and allow only those', () => {
    const [row] = parseDivergences(ROW);
    expect(row!.statuses).toEqual(['extra', 'missing']);
    expect(matches(row!, difference({}))).toBe(true);
    expect(matches(row!, difference({ probe: 'eastwest-c1', status: 'missing' }))).toBe(true);
    expect(matches(row!, difference({ probe: 'grpc-c1' }))).toBe(false);
    expect(matches(row!, difference({ status: 'differs' }))).toBe(false);
    // Another field of the same transport socket is not allowed by the row.
    expect(matches(row!, difference({ path: 'transport_socket_matches[tlsMode-istio].transport_socket.sni' }))).toBe(
      false,
    );
  });

  it('report every path glob that allows no difference as stale', () => {
    const rows = parseDivergences(ROW);
    expect(stalePaths(rows, [difference({})])).toEqual(['sds transport_socket*.sds_config.api_config_source']);
    expect(
      stalePaths(rows, [
        difference({}),
        difference({ path: 'transport_socket.sds_config.api_config_source', status: 'missing' }),
      ]),
    ).toEqual([]);
  });

  it('refuse unknown fields, statuses and empty glob lists by name', () => {
    expect(() => parseDivergences(ROW.replace('  why: y', '  whyy: y'))).toThrow(/\[0\]\.whyy: not a row field/);
    expect(() => parseDivergences(ROW.replace('extra, missing', 'extra, gone'))).toThrow(
      /\.status: gone is not one of/,
    );
    expect(() => parseDivergences(ROW.replace("['sidecar-*', 'eastwest-*']", '[]'))).toThrow(
      /\.probe: at least one glob is required/,
    );
  });

  it('render each glob of a list in the README table', () => {
    const table = renderTable(parseDivergences(ROW));
    expect(table).toContain('| sds | extra, missing | cds | any (probe `sidecar-*`, `eastwest-*`) |');
    expect(table).toContain('`transport_socket*.sds_config.ads`, `transport_socket*.sds_config.api_config_source`');
  });
});
