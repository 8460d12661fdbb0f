import type { Server } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import type { MeshXdsService } from '../cache/mesh-xds-service.ts';
import { Metrics } from '../metrics/metrics.ts';
import { TypeState } from '../xds/type-state.ts';
import { createAdminServer, listenHttp } from './admin-server.ts';
import {
  LISTED_NAMES_LIMIT,
  MAX_PAGE_SIZE,
  parseSynczQuery,
  selectSyncSources,
  syncEntry,
  type SyncSource,
} from './syncz.ts';

const PROXIES = 1_000;
const EDS_NAMES = 300;
/** Turns of the event loop, as counted by the HTTP test, and the turn in which each stream was rendered. */
const loop = { turns: 0, renderedInTurn: [] as number[] };

/** A stream as /debug/syncz reads it: real TypeStates, a CDS wildcard and an EDS subscription of `EDS_NAMES`. */
function source(index: number): SyncSource {
  const cds = new TypeState(CLUSTER_TYPE);
  cds.wildcard = true;
  cds.version = 'v1';
  cds.ackedVersion = 'v1';
  const eds = new TypeState(ENDPOINT_TYPE);
  for (let n = 0; n < EDS_NAMES; n += 1) eds.ownNames().add(`outbound|80||svc-${n}.bench.svc.cluster.local`);
  eds.version = 'v2';
  eds.ackedVersion = 'v1';
  return {
    id: `conn-${index}`,
    kind: 'sotw',
    connectedAt: '2026-12-06T00:00:00.000Z',
    proxy: {
      id: `sidecar~10.0.0.${index}~pod-${index}.bench~bench.svc.cluster.local`,
      type: 'sidecar',
      labels: {},
      view: {
        generator: 'envoy',
        proxyType: 'sidecar',
        routerMode: 'standard',
        network: 'net-a',
        locality: { region: 'r1', zone: 'z1', subZone: '' },
        kubeCluster: 'kc-1',
        namespace: 'bench',
        requestedNetworkView: [],
      },
    },
    typeStates: () => {
      loop.renderedInTurn.push(loop.turns);
      return [cds, eds];
    },
  };
}

const sources = Array.from({ length: PROXIES }, (_, i) => source(i));

describe('/debug/syncz, bounded', () => {
  it('lists at most LISTED_NAMES_LIMIT subscribed names per type, with the full count; all of them for one proxy', () => {
    const entry = syncEntry(sources[0]!) as {
      types: Record<string, { subscribed: string[]; subscribedCount: number; status: string }>;
    };
    expect(entry.types.eds!.subscribed).toHaveLength(LISTED_NAMES_LIMIT);
    expect(entry.types.eds!.subscribedCount).toBe(EDS_NAMES);
    expect(entry.types.eds!.status).toBe('STALE');
    expect(entry.types.cds).toMatchObject({ subscribed: ['*'], subscribedCount: 1, status: 'SYNCED' });
    const full = syncEntry(sources[0]!, Number.POSITIVE_INFINITY) as {
      types: Record<string, { subscribed: string[] }>;
    };
    expect(full.types.eds!.subscribed).toHaveLength(EDS_NAMES);
  });

  it('pages are bounded: limit is cut to MAX_PAGE_SIZE, offset and limit select a slice, bad numbers are refused', () => {
    const big = parseSynczQuery(new URLSearchParams({ limit: String(MAX_PAGE_SIZE * 10) }));
    expect(big).toEqual({ ok: true, offset: 0, limit: MAX_PAGE_SIZE });
    const page = parseSynczQuery(new URLSearchParams({ offset: '990', limit: '20' }));
    if (!page.ok) throw new Error(page.error);
    const { selected, total } = selectSyncSources(sources, page);
    expect(total).toBe(PROXIES);
    expect(selected.map((s) => s.id)).toEqual(Array.from({ length: 10 }, (_, i) => `conn-${990 + i}`));
    const one = parseSynczQuery(new URLSearchParams({ proxyID: sources[7]!.proxy!.id }));
    if (!one.ok) throw new Error(one.error);
    expect(selectSyncSources(sources, one).selected).toEqual([sources[7]]);
    expect(parseSynczQuery(new URLSearchParams({ limit: '-1' }))).toEqual({
      ok: false,
      error: 'query parameter limit must be a whole number, got "-1"',
    });
  });

  describe('over HTTP', () => {
    let server: Server;
    let url: string;

    beforeAll(async () => {
      const xds = { connected: () => sources } as unknown as MeshXdsService;
      server = createAdminServer({
        metrics: new Metrics({ defaultMetrics: false }),
        xds,
        logger: pino({ level: 'silent' }),
        snapshot: () => undefined,
        kubeClusters: () => [],
        notReadyReason: () => undefined,
      });
      url = `http://127.0.0.1:${await listenHttp(server, '127.0.0.1:0')}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('answers 1,000 proxies over many turns of the event loop, at most 50 per turn', async () => {
      // Counts turns of this process's event loop (the admin server's) while the answer is made.
      loop.turns = 0;
      loop.renderedInTurn = [];
      let counting = true;
      const count = (): void => {
        loop.turns += 1;
        if (counting && loop.turns < 1_000_000) setImmediate(count);
      };
      setImmediate(count);
      const response = await fetch(`${url}/debug/syncz`);
      const body = (await response.json()) as { proxy: string; types: Record<string, { subscribed: string[] }> }[];
      counting = false;
      expect(body).toHaveLength(PROXIES);
      expect(response.headers.get('x-total-count')).toBe(String(PROXIES));
      expect(body.every((entry) => entry.types.eds!.subscribed.length === LISTED_NAMES_LIMIT)).toBe(true);
      // 1,000 proxies in chunks of 50: rendered in at least 20 turns, never more than 50 in one.
      const perTurn = new Map<number, number>();
      for (const turn of loop.renderedInTurn) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      expect(loop.renderedInTurn).toHaveLength(PROXIES);
      expect(perTurn.size).toBeGreaterThanOrEqual(PROXIES / 50);
      expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(50);
    });

    it('serves a page with the total in x-total-count, one proxy with every name, and refuses a bad page', async () => {
      const page = await fetch(`${url}/debug/syncz?offset=100&limit=50`);
      const entries = (await page.json()) as { connection: string }[];
      expect(page.headers.get('x-total-count')).toBe(String(PROXIES));
      expect(entries.map((e) => e.connection)).toEqual(Array.from({ length: 50 }, (_, i) => `conn-${100 + i}`));
      const one = await fetch(`${url}/debug/syncz?proxyID=${encodeURIComponent(sources[3]!.proxy!.id)}`);
      const [entry] = (await one.json()) as { types: Record<string, { subscribed: string[] }> }[];
      expect(entry!.types.eds!.subscribed).toHaveLength(EDS_NAMES);
      const bad = await fetch(`${url}/debug/syncz?offset=x`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: 'query parameter offset must be a whole number, got "x"' });
    });
  });
});
