// @ts-check
// Stale data: each unreachable kube cluster, since when and why, and the last-known endpoints of it that
// meshpilot still serves (registry.unreachablePolicy keep), per service.
import { cell, el, empty, rowHeader, table, time } from './dom.js';

/**
 * @typedef {{ name: string, state: string, network?: string, unreachableSince?: string, lastError?: string }} KubeCluster
 * @typedef {{ kubeCluster: string, address: string }} Endpoint
 */

/**
 * @param {KubeCluster[]} clusters
 * @param {Record<string, Record<string, Endpoint[]>>} endpoints
 */
export function stalePanel(clusters, endpoints) {
  const unreachable = clusters.filter((c) => c.state === 'unreachable');
  if (unreachable.length === 0) return empty('Every kube cluster is reachable: nothing is served from stale data.');
  return table({
    caption: `${unreachable.length} unreachable kube cluster(s); their last-known endpoints are served until they return`,
    label: 'Stale data from unreachable kube clusters',
    headers: ['Kube cluster', 'Network', 'Unreachable since', 'Last error', 'Last-known endpoints still served'],
    rows: unreachable.map((c) => {
      const served = Object.entries(endpoints)
        .map(([hostname, byPort]) => ({
          hostname,
          count: new Set(
            Object.values(byPort)
              .flat()
              .filter((e) => e.kubeCluster === c.name)
              .map((e) => e.address),
          ).size,
        }))
        .filter((s) => s.count > 0);
      return [
        rowHeader(c.name),
        c.network || '(none)',
        time(c.unreachableSince),
        c.lastError ? cell({ class: 'mono' }, c.lastError) : '—',
        served.length === 0
          ? cell({ class: 'sub' }, 'none (never synced, or dropped by registry.unreachablePolicy drop)')
          : cell(
              {},
              el(
                'ul',
                { class: 'plain', 'aria-label': `stale endpoints of ${c.name}` },
                served.map((s) => el('li', {}, el('span', { class: 'mono' }, s.hostname), ` ${s.count} endpoint(s)`)),
              ),
            ),
      ];
    }),
  });
}
