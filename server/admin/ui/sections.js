// @ts-check
// Sections (a) kube clusters, (c) connected proxies and (d) one service's endpoints as one proxy sees them.
import { badge, cell, el, empty, localityText, rowHeader, table, time } from './dom.js';

/**
 * @typedef {{ name: string, source?: string, state: string, syncedAt?: string, unreachableSince?: string, lastError?: string, objects?: Record<string, number> }} KubeClusterHealth
 * @typedef {{ message: string, nonce?: string, version?: string, at?: string }} Nack
 * @typedef {{ status: string, sentVersion?: string | null, ackedVersion?: string | null, resources?: number, subscribed?: string[], lastNack?: Nack | null }} TypeSync
 * @typedef {{ field: string, value: string, message: string }} UnknownTopology
 * @typedef {{ proxy: string, kind?: string, connectedAt?: string, kubeCluster?: string, network?: string, locality?: { region?: string, zone?: string, subZone?: string }, generator?: string, unknownTopology?: UnknownTopology[], types: Record<string, TypeSync> }} ProxySync
 * @typedef {{ cluster: string, workload: string, kubeCluster: string, network: string, locality: string, outcome: string, sentAs: string[], priority?: number, weight?: number, reason: string }} Explanation
 * @typedef {{ proxy: string, service: string, view?: { network?: string, kubeCluster?: string, locality?: { region?: string, zone?: string, subZone?: string } }, endpoints: Explanation[] }} ExplainResult
 */

/** @type {Record<string, 'ok' | 'warn' | 'bad'>} */
const CLUSTER_STATE_KIND = { synced: 'ok', syncing: 'warn', unreachable: 'bad' };

/** @param {KubeClusterHealth[]} clusters */
export function kubeClustersTable(clusters) {
  if (clusters.length === 0) return empty('No kube clusters configured.');
  return table({
    caption: `${clusters.length} kube cluster(s)`,
    label: 'Kube clusters',
    headers: ['Kube cluster', 'Source', 'State', 'Synced at', 'Unreachable since', 'Last error', 'Objects'],
    rows: clusters.map((c) => [
      rowHeader(c.name),
      c.source ?? '',
      badge(c.state, CLUSTER_STATE_KIND[c.state] ?? 'none'),
      time(c.syncedAt),
      time(c.unreachableSince),
      c.lastError ? cell({ class: 'mono' }, c.lastError) : '—',
      Object.entries(c.objects ?? {})
        .filter(([, count]) => count > 0)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(', ') || 'none',
    ]),
  });
}

/** Known xDS types first, in istioctl's order; anything else after, alphabetically. */
const TYPE_ORDER = ['cds', 'lds', 'eds', 'rds', 'sds', 'nds'];

/** @param {ProxySync[]} proxies */
function typeColumns(proxies) {
  const seen = new Set(proxies.flatMap((p) => Object.keys(p.types)));
  return [...TYPE_ORDER.filter((t) => seen.has(t)), ...[...seen].filter((t) => !TYPE_ORDER.includes(t)).sort()];
}

/** @type {Record<string, 'ok' | 'warn' | 'bad' | 'none'>} */
const SYNC_KIND = { SYNCED: 'ok', STALE: 'warn', NACKED: 'bad', 'NOT SENT': 'none' };

/** @param {TypeSync | undefined} sync */
function syncCell(sync) {
  if (!sync) return cell({ class: 'none' }, '—');
  const details = [
    `sent ${sync.sentVersion ?? '(nothing)'}`,
    `acked ${sync.ackedVersion ?? '(nothing)'}`,
    `${sync.resources ?? 0} resource(s)`,
    sync.lastNack ? `last NACK: ${sync.lastNack.message}` : '',
  ].filter((d) => d);
  const nacked = sync.status === 'NACKED' && sync.lastNack;
  return cell(
    { 'data-status': sync.status },
    badge(sync.status, SYNC_KIND[sync.status] ?? 'none', details.join('\n')),
    nacked ? el('span', { class: 'nack-message' }, sync.lastNack?.message ?? '') : null,
  );
}

/**
 * A proxy's kube cluster or network, with an `unknown` badge (the reason in its tooltip and as text
 * below) when meshpilot knows no kube cluster or network by that name.
 * @param {ProxySync} proxy
 * @param {'CLUSTER_ID' | 'NETWORK'} field
 * @param {string} text
 */
function claimCell(proxy, field, text) {
  const unknown = proxy.unknownTopology?.find((u) => u.field === field);
  if (!unknown) return text;
  return cell(
    { 'data-unknown': field },
    text,
    ' ',
    badge('unknown', 'bad', unknown.message),
    el('span', { class: 'sub' }, unknown.message),
  );
}

/**
 * One page of the connected proxies.
 * @param {ProxySync[]} proxies
 * @param {{ offset: number, total: number }} [page] where the page starts, and how many proxies there are in all
 */
export function proxiesTable(proxies, page = { offset: 0, total: proxies.length }) {
  if (proxies.length === 0) return empty(page.total === 0 ? 'No proxy is connected.' : 'No proxy on this page.');
  const types = typeColumns(proxies);
  const all = `${page.total} connected prox${page.total === 1 ? 'y' : 'ies'}`;
  return table({
    caption: proxies.length < page.total ? `${all}, ${page.offset + 1}–${page.offset + proxies.length} shown` : all,
    label: 'Connected proxies',
    headers: [
      'Proxy',
      'Kube cluster',
      'Network',
      'Locality',
      'Stream',
      'Connected',
      ...types.map((t) => t.toUpperCase()),
    ],
    rows: proxies.map((p) => [
      rowHeader(
        el('span', { class: 'mono' }, p.proxy),
        p.generator ? el('span', { class: 'sub' }, `generator ${p.generator}`) : null,
      ),
      claimCell(p, 'CLUSTER_ID', p.kubeCluster || '—'),
      claimCell(p, 'NETWORK', p.network || '(none)'),
      localityText(p.locality),
      p.kind ?? '',
      time(p.connectedAt),
      ...types.map((t) => syncCell(p.types[t])),
    ]),
  });
}

/** @type {Record<string, 'ok' | 'info' | 'bad'>} */
const OUTCOME_KIND = { local: 'ok', 'via-gateway': 'info', dropped: 'bad' };

/** @param {Explanation} e */
function sentAsCell(e) {
  if (e.outcome === 'dropped') return cell({}, el('span', { class: 'sub' }, 'not sent'));
  if (e.outcome === 'via-gateway') {
    return cell(
      { class: 'mono' },
      el('span', { class: 'rewrite' }, `→ gateway ${e.sentAs.join(', ')}`),
      el('span', { class: 'was' }, `instead of ${e.workload}`),
    );
  }
  return cell({ class: 'mono' }, e.sentAs.join(', '));
}

/** @param {ExplainResult} result */
export function explainTable(result) {
  const view = result.view ?? {};
  const caption = `${result.service} as seen by ${result.proxy} (kube cluster ${view.kubeCluster || '—'}, network ${view.network || '(none)'}, locality ${localityText(view.locality)})`;
  if (result.endpoints.length === 0) return empty(`${caption}: the service has no endpoints.`);
  const severalClusters = new Set(result.endpoints.map((e) => e.cluster)).size > 1;
  return table({
    caption,
    label: 'Endpoints as the proxy sees them',
    headers: [
      ...(severalClusters ? ['Envoy cluster'] : []),
      'Workload',
      'Kube cluster',
      'Network',
      'Locality',
      'Outcome',
      'Sent as',
      'Priority',
      'Why',
    ],
    rows: result.endpoints.map((e) => [
      ...(severalClusters ? [cell({ class: 'mono' }, e.cluster)] : []),
      rowHeader(el('span', { class: 'mono' }, e.workload)),
      e.kubeCluster,
      e.network,
      e.locality,
      badge(e.outcome, OUTCOME_KIND[e.outcome] ?? 'none'),
      sentAsCell(e),
      cell({ class: 'count' }, e.priority === undefined ? '—' : String(e.priority)),
      cell({ class: 'why' }, e.reason),
    ]),
  });
}
