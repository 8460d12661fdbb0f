// @ts-check
// The mesh map: kube clusters grouped by network, each network's east-west gateways between them, the
// services with their endpoints per kube cluster, the connected proxies with their sync state, and the
// stale data an unreachable kube cluster leaves behind.
import { badge, el, empty } from './dom.js';

/**
 * @typedef {{ name: string, state: string, network?: string, unreachableSince?: string, lastError?: string }} KubeCluster
 * @typedef {{ network: string, address: string, port: number, kubeCluster?: string }} Gateway
 * @typedef {{ hostname: string }} Service
 * @typedef {{ services?: Service[], gateways?: Record<string, Gateway[]> }} Registry
 * @typedef {{ kubeCluster: string, network: string, address: string, ready: boolean }} Endpoint
 * @typedef {{ proxy: string, kubeCluster?: string, network?: string, unknownTopology?: { field: string, value: string, message: string }[], types: Record<string, { status: string }> }} Proxy
 */

/** @type {Record<string, 'ok' | 'warn' | 'bad' | 'none'>} */
const KIND = {
  SYNCED: 'ok',
  STALE: 'warn',
  NACKED: 'bad',
  'NOT SENT': 'none',
  synced: 'ok',
  syncing: 'warn',
  unreachable: 'bad',
};

/** A proxy's worst type state: NACKED, else STALE, else NOT SENT, else SYNCED. @param {Proxy} proxy */
export function proxyState(proxy) {
  const states = Object.values(proxy.types).map((t) => t.status);
  return ['NACKED', 'STALE', 'NOT SENT'].find((s) => states.includes(s)) ?? 'SYNCED';
}

/** `sidecar~ip~pod.ns~…` → `pod.ns`. @param {string} id */
function shortName(id) {
  const parts = id.split('~');
  return parts.length === 4 ? `${parts[0] === 'router' ? 'gateway ' : ''}${parts[2]}` : id;
}

/**
 * @param {KubeCluster} cluster
 * @param {Service[]} services
 * @param {Record<string, Record<string, Endpoint[]>>} endpoints
 * @param {Proxy[]} proxies
 */
function clusterCard(cluster, services, endpoints, proxies) {
  const rows = services
    .map((s) => {
      const addresses = new Set(
        Object.values(endpoints[s.hostname] ?? {})
          .flat()
          .filter((e) => e.kubeCluster === cluster.name)
          .map((e) => e.address),
      );
      return { hostname: s.hostname, count: addresses.size };
    })
    .filter((r) => r.count > 0);
  const mine = proxies.filter((p) => p.kubeCluster === cluster.name);
  return el(
    'article',
    { class: 'map-cluster', 'aria-label': `kube cluster ${cluster.name}`, 'data-state': cluster.state },
    el('h4', {}, cluster.name, ' ', badge(cluster.state, KIND[cluster.state] ?? 'none')),
    cluster.state === 'unreachable'
      ? el(
          'p',
          { class: 'stale', role: 'note' },
          `Stale: unreachable since ${cluster.unreachableSince ?? '?'}; its last-known endpoints are still served`,
          cluster.lastError ? ` (${cluster.lastError})` : '',
        )
      : null,
    el(
      'ul',
      { class: 'map-services', 'aria-label': `services in ${cluster.name}` },
      rows.length === 0
        ? el('li', { class: 'sub' }, 'no endpoints')
        : rows.map((r) => el('li', {}, el('span', { class: 'mono' }, r.hostname), ` ${r.count} endpoint(s)`)),
    ),
    el(
      'ul',
      { class: 'map-proxies', 'aria-label': `proxies in ${cluster.name}` },
      mine.length === 0 ? el('li', { class: 'sub' }, 'no connected proxy') : mine.map(proxyItem),
    ),
  );
}

/** A proxy's short name, worst sync state, and what it claims that meshpilot does not know. @param {Proxy} p */
function proxyItem(p) {
  return el(
    'li',
    { title: p.proxy },
    el('span', { class: 'mono' }, shortName(p.proxy)),
    ' ',
    badge(proxyState(p), KIND[proxyState(p)] ?? 'none'),
    (p.unknownTopology ?? []).flatMap((u) => [
      ' ',
      badge(
        u.field === 'CLUSTER_ID' ? `unknown kube cluster ${u.value}` : `unknown network ${u.value}`,
        'bad',
        u.message,
      ),
    ]),
  );
}

/**
 * Proxies whose CLUSTER_ID names no kube cluster of the map (or none at all): they belong to no card.
 * @param {KubeCluster[]} clusters
 * @param {Proxy[]} proxies
 */
function strayProxies(clusters, proxies) {
  const names = new Set(clusters.map((c) => c.name));
  const stray = proxies.filter((p) => !names.has(p.kubeCluster ?? ''));
  if (stray.length === 0) return null;
  return el(
    'article',
    { class: 'map-cluster map-stray', 'aria-label': 'proxies of no known kube cluster' },
    el('h4', {}, 'Proxies of no known kube cluster'),
    el(
      'p',
      { class: 'stale', role: 'note' },
      'Their CLUSTER_ID matches no kube cluster of the mesh (or they sent none): they are served as they claim.',
    ),
    el('ul', { class: 'map-proxies', 'aria-label': 'proxies of no known kube cluster' }, stray.map(proxyItem)),
  );
}

/**
 * @param {KubeCluster[]} clusters
 * @param {Registry} registry
 * @param {Record<string, Record<string, Endpoint[]>>} endpoints
 * @param {Proxy[]} proxies
 */
export function meshMap(clusters, registry, endpoints, proxies) {
  if (clusters.length === 0) return empty('No kube clusters configured.');
  /** @type {Map<string, KubeCluster[]>} */
  const byNetwork = new Map();
  for (const c of clusters) byNetwork.set(c.network ?? '', [...(byNetwork.get(c.network ?? '') ?? []), c]);
  const networks = [...byNetwork.keys()].sort();
  const services = registry.services ?? [];
  const parts = [];
  for (const [i, network] of networks.entries()) {
    const gateways = registry.gateways?.[network] ?? [];
    if (i > 0) parts.push(el('div', { class: 'map-link', 'aria-hidden': 'true' }, '⇄'));
    parts.push(
      el(
        'section',
        { class: 'map-network', 'aria-label': `network ${network || '(none)'}` },
        el('h3', {}, `network ${network || '(none)'}`),
        el(
          'p',
          { class: 'map-gateways' },
          gateways.length === 0
            ? 'no east-west gateway: reached directly'
            : `east-west gateway ${gateways.map((g) => `${g.address}:${g.port}`).join(', ')}`,
        ),
        ...(byNetwork.get(network) ?? []).map((c) => clusterCard(c, services, endpoints, proxies)),
      ),
    );
  }
  parts.push(strayProxies(clusters, proxies));
  return el('div', { class: 'map', role: 'figure', 'aria-label': 'Mesh map' }, parts);
}
