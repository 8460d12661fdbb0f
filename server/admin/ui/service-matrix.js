// @ts-check
// Section (b): services × kube clusters × networks, with endpoint counts and each network's gateways.
import { cell, el, empty, rowHeader, table } from './dom.js';

/**
 * @typedef {{ network: string, address: string, port: number, kubeCluster?: string }} Gateway
 * @typedef {{ hostname: string, ports?: { name?: string, port: number, protocol?: string }[] }} Service
 * @typedef {{ kubeClusters?: string[], services?: Service[], gateways?: Record<string, Gateway[]> }} Registry
 * @typedef {{ kubeCluster: string, network: string, address: string, port: number, ready: boolean }} Endpoint
 * @typedef {Record<string, Record<string, Endpoint[]>>} EndpointsByService
 * @typedef {{ kubeCluster: string, network: string }} Column
 */

/**
 * Columns are (kube cluster, network) pairs seen on endpoints, plus kube clusters without any
 * endpoint (their network taken from a gateway they host, else unknown). The admin endpoints do
 * not carry a kube cluster's configured network, so it is read from what its endpoints say.
 * @param {Registry} registry
 * @param {EndpointsByService} endpoints
 * @returns {Column[]}
 */
export function matrixColumns(registry, endpoints) {
  /** @type {Map<string, Column>} */
  const columns = new Map();
  for (const byPort of Object.values(endpoints)) {
    for (const list of Object.values(byPort)) {
      for (const e of list)
        columns.set(`${e.kubeCluster}\n${e.network}`, { kubeCluster: e.kubeCluster, network: e.network });
    }
  }
  const gateways = Object.values(registry.gateways ?? {}).flat();
  for (const kubeCluster of registry.kubeClusters ?? []) {
    if ([...columns.values()].some((c) => c.kubeCluster === kubeCluster)) continue;
    const network = gateways.find((g) => g.kubeCluster === kubeCluster)?.network ?? '';
    columns.set(`${kubeCluster}\n${network}`, { kubeCluster, network });
  }
  return [...columns.values()].sort(
    (a, b) => a.kubeCluster.localeCompare(b.kubeCluster) || a.network.localeCompare(b.network),
  );
}

/**
 * Distinct workload addresses of one service in one column, and how many of them are ready.
 * @param {Record<string, Endpoint[]> | undefined} byPort
 * @param {Column} column
 */
export function countEndpoints(byPort, column) {
  /** @type {Map<string, boolean>} */
  const readyByAddress = new Map();
  /** @type {string[]} */
  const perPort = [];
  for (const [port, list] of Object.entries(byPort ?? {})) {
    const inColumn = list.filter((e) => e.kubeCluster === column.kubeCluster && e.network === column.network);
    if (inColumn.length > 0) perPort.push(`port ${port}: ${inColumn.length}`);
    for (const e of inColumn) readyByAddress.set(e.address, (readyByAddress.get(e.address) ?? false) || e.ready);
  }
  const ready = [...readyByAddress.values()].filter((r) => r).length;
  return { total: readyByAddress.size, ready, perPort };
}

/**
 * @param {Registry} registry
 * @param {EndpointsByService} endpoints
 * @returns {(HTMLElement | null)[]}
 */
export function serviceMatrix(registry, endpoints) {
  const services = registry.services ?? [];
  const columns = matrixColumns(registry, endpoints);
  if (services.length === 0) return [empty('No services in the mesh yet.')];
  const headers = [
    'Service',
    ...columns.map((c) =>
      el('span', {}, c.kubeCluster, el('span', { class: 'sub' }, `network ${c.network || '(none)'}`)),
    ),
  ];
  const rows = services.map((service) => [
    rowHeader(
      service.hostname,
      el(
        'span',
        { class: 'sub' },
        (service.ports ?? []).map((p) => `${p.port}/${p.name || p.protocol || ''}`).join(', '),
      ),
    ),
    ...columns.map((column) => {
      const { total, ready, perPort } = countEndpoints(endpoints[service.hostname], column);
      const notReady = total - ready;
      return cell(
        {
          class: total === 0 ? 'count zero' : 'count',
          title: perPort.join(', ') || undefined,
          'data-kube-cluster': column.kubeCluster,
        },
        String(total),
        notReady > 0 ? el('span', { class: 'sub' }, `${notReady} not ready`) : null,
      );
    }),
  ]);
  const gatewaysByNetwork = registry.gateways ?? {};
  const footer = [
    [
      rowHeader('East-west gateways'),
      ...columns.map((c) => {
        const gateways = gatewaysByNetwork[c.network] ?? [];
        return cell(
          { class: 'mono' },
          gateways.length === 0 ? 'none' : gateways.map((g) => `${g.address}:${g.port}`).join(', '),
        );
      }),
    ],
  ];
  const otherNetworks = Object.entries(gatewaysByNetwork).filter(
    ([network, list]) => list.length > 0 && !columns.some((c) => c.network === network),
  );
  return [
    table({
      caption: `${services.length} service(s), ${columns.length} kube cluster/network column(s)`,
      label: 'Services by kube cluster',
      headers,
      rows,
      footer,
    }),
    otherNetworks.length > 0
      ? el(
          'p',
          { class: 'hint' },
          `Gateways of networks with no endpoints here: ${otherNetworks.map(([network, list]) => `${network}: ${list.map((g) => `${g.address}:${g.port}`).join(', ')}`).join('; ')}`,
        )
      : null,
  ];
}
