import { shortTypeName } from '../../protos/type-urls.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { ConnectedProxy } from '../generators/proxy-identity.ts';
import type { UnknownTopology } from '../generators/proxy-topology.ts';
import type { TypeState } from '../xds/type-state.ts';

/** What /debug/syncz reads of a stream (an XdsConnection; tests build it from real TypeStates). */
export interface SyncSource {
  readonly id: string;
  readonly kind: 'sotw' | 'delta';
  readonly connectedAt: string;
  readonly proxy: ConnectedProxy | undefined;
  typeStates(): readonly TypeState[];
}

/**
 * Subscribed names listed per type in the all-proxies answer (`subscribedCount` has the total;
 * `?proxyID=` lists them all): an Envoy's EDS subscription names every service, so a thousand
 * proxies would otherwise make an answer of millions of names.
 */
export const LISTED_NAMES_LIMIT = 100;

/** Proxies per page (`?limit=`) at most; a larger limit is cut to this. */
export const MAX_PAGE_SIZE = 500;

/** Per proxy and type: sent version and nonce, acked version, last NACK (like istiod's /debug/syncz). */
export function syncEntry(
  connection: SyncSource,
  namesLimit = LISTED_NAMES_LIMIT,
  check?: (view: ProxyView) => readonly UnknownTopology[],
): Record<string, unknown> | undefined {
  const proxy = connection.proxy;
  if (proxy === undefined) return undefined;
  const types: Record<string, unknown> = {};
  for (const state of connection.typeStates()) {
    types[shortTypeName(state.typeUrl)] = {
      typeUrl: state.typeUrl,
      subscribed: subscribedNames(state, namesLimit),
      subscribedCount: state.names.size + (state.wildcard ? 1 : 0),
      sentVersion: state.version ?? null,
      sentNonce: state.nonce ?? null,
      ackedVersion: state.ackedVersion ?? null,
      resources: state.sent.size,
      status: syncState(state.version, state.ackedVersion, nackedLatest(state)),
      lastNack: state.lastNack ?? null,
    };
  }
  return {
    proxy: proxy.id,
    connection: connection.id,
    kind: connection.kind,
    connectedAt: connection.connectedAt,
    kubeCluster: proxy.view.kubeCluster,
    network: proxy.view.network,
    locality: proxy.view.locality,
    generator: proxy.view.generator,
    // Only when the proxy claims a CLUSTER_ID or NETWORK the mesh does not know (istiod's syncz has no such field).
    ...unknownTopologyField(check?.(proxy.view) ?? []),
    types,
  };
}

function unknownTopologyField(unknown: readonly UnknownTopology[]): { unknownTopology?: object[] } {
  if (unknown.length === 0) return {};
  return { unknownTopology: unknown.map(({ field, value, message }) => ({ field, value, message })) };
}

/** `*` first when wildcard, then the names, at most `limit` in all (bounded work per stream). */
function subscribedNames(state: TypeState, limit: number): string[] {
  const out: string[] = state.wildcard ? ['*'] : [];
  for (const name of state.names) {
    if (out.length >= limit) break;
    out.push(name);
  }
  return out;
}

/** The last response was NACKed (a stream with no NACK, or no response yet, is not). */
function nackedLatest(state: TypeState): boolean {
  return state.lastNack !== undefined && state.lastNack.nonce === state.nonce;
}

function syncState(sent: string | undefined, acked: string | undefined, nackedLatest: boolean): string {
  if (nackedLatest) return 'NACKED';
  if (sent === undefined) return 'NOT SENT';
  return sent === acked ? 'SYNCED' : 'STALE';
}

export type SynczQuery =
  | { readonly ok: true; readonly proxyId?: string; readonly offset: number; readonly limit?: number }
  | { readonly ok: false; readonly error: string };

/** `?proxyID=` (one proxy, every name listed), `?offset=` and `?limit=` (a page of at most MAX_PAGE_SIZE). */
export function parseSynczQuery(params: URLSearchParams): SynczQuery {
  const proxyId = params.get('proxyID') ?? undefined;
  const offset = integerParam(params, 'offset');
  const limit = integerParam(params, 'limit');
  if (typeof offset === 'string') return { ok: false, error: offset };
  if (typeof limit === 'string') return { ok: false, error: limit };
  return {
    ok: true,
    offset: offset ?? 0,
    ...(proxyId !== undefined ? { proxyId } : {}),
    ...(limit !== undefined ? { limit: Math.min(Math.max(limit, 1), MAX_PAGE_SIZE) } : {}),
  };
}

function integerParam(params: URLSearchParams, name: string): number | string | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const value = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(value)
    ? value
    : `query parameter ${name} must be a whole number, got "${text}"`;
}

/** The identified streams the query asks for, and how many identified streams there are in all. */
export function selectSyncSources<S extends SyncSource>(
  connections: readonly S[],
  query: Extract<SynczQuery, { ok: true }>,
): { readonly selected: readonly S[]; readonly total: number } {
  const identified = connections.filter((c) => c.proxy !== undefined);
  if (query.proxyId !== undefined) {
    const id = query.proxyId;
    return { selected: identified.filter((c) => c.proxy?.id === id || c.id === id), total: identified.length };
  }
  const end = query.limit === undefined ? undefined : query.offset + query.limit;
  return { selected: identified.slice(query.offset, end), total: identified.length };
}
