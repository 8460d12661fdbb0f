// @ts-check
/* global document */
// The path each endpoint of a service takes from a chosen proxy, drawn as SVG from /debug/explain (the
// data `meshpilot explain` prints): straight to the endpoint, through which east-west gateway, or not
// sent; the priority on each endpoint's last hop; endpoints of an unreachable kube cluster marked stale.

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 46;
const TOP = 30;
const BOX_H = 34;
const PROXY = { x: 8, w: 230 };
const GATEWAY = { x: 330, w: 210 };
const ENDPOINT = { x: 660, w: 300 };
const WIDTH = ENDPOINT.x + ENDPOINT.w + 8;

/**
 * @typedef {{ cluster: string, workload: string, kubeCluster: string, network: string, locality: string, outcome: string, sentAs: string[], priority?: number, reason: string }} Explanation
 * @typedef {{ proxy: string, service: string, view?: { network?: string, kubeCluster?: string }, endpoints: Explanation[] }} ExplainResult
 */

/**
 * An SVG element; every value is an attribute or a text node, never markup.
 * @param {string} tag
 * @param {Record<string, string | number | undefined>} [attributes]
 * @param {...(Node | string | null | undefined)} children
 * @returns {SVGElement}
 */
function svg(tag, attributes = {}, ...children) {
  const element = /** @type {SVGElement} */ (document.createElementNS(SVG, tag));
  for (const [name, value] of Object.entries(attributes))
    if (value !== undefined) element.setAttribute(name, String(value));
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

/** `sidecar~ip~pod.ns~…` → `pod.ns`. @param {string} id */
function shortName(id) {
  const parts = id.split('~');
  return parts.length === 4 ? (parts[2] ?? id) : id;
}

/**
 * A box with one or two lines of text and a tooltip.
 * @param {{ x: number, y: number, w: number, kind: string, lines: string[], title: string, attributes?: Record<string, string | number | undefined> }} spec
 */
function box(spec) {
  return svg(
    'g',
    { class: `path-box ${spec.kind}`, ...spec.attributes },
    svg('title', {}, spec.title),
    svg('rect', { x: spec.x, y: spec.y - BOX_H / 2, width: spec.w, height: BOX_H, rx: 5 }),
    ...spec.lines.map((line, i) =>
      svg('text', { x: spec.x + 8, y: spec.y - BOX_H / 2 + 14 + i * 14, class: i === 0 ? 'strong' : 'small' }, line),
    ),
  );
}

/**
 * A curved line from (x1, y1) to (x2, y2).
 * @param {number} x1 @param {number} y1 @param {number} x2 @param {number} y2
 * @param {Record<string, string | number | undefined>} attributes
 */
function edge(x1, y1, x2, y2, attributes) {
  const middle = (x1 + x2) / 2;
  return svg('path', { d: `M ${x1} ${y1} C ${middle} ${y1}, ${middle} ${y2}, ${x2} ${y2}`, ...attributes });
}

/**
 * The endpoints of one Envoy cluster (the first the answer lists: the service's first port, no subset),
 * gateways placed beside the endpoints they stand for.
 * @param {ExplainResult} result
 * @param {ReadonlySet<string>} unreachable kube clusters now unreachable (their endpoints are last-known)
 */
export function pathsPicture(result, unreachable) {
  const envoyCluster = result.endpoints[0]?.cluster ?? '';
  const rows = result.endpoints.filter((e) => e.cluster === envoyCluster);
  const otherClusters = new Set(result.endpoints.map((e) => e.cluster)).size - 1;
  const height = TOP + Math.max(rows.length, 1) * ROW;
  const rowY = (/** @type {number} */ i) => TOP + i * ROW + ROW / 2;
  const proxyY = (TOP + height) / 2;

  /** @type {Map<string, { rows: number[], network: string }>} gateway address → rows it stands for */
  const gateways = new Map();
  rows.forEach((e, i) => {
    if (e.outcome !== 'via-gateway') return;
    for (const address of e.sentAs) {
      const gateway = gateways.get(address) ?? { rows: [], network: e.network };
      gateway.rows.push(i);
      gateways.set(address, gateway);
    }
  });
  // Each gateway at the middle of its endpoints' rows, pushed down so that no two overlap.
  /** @type {Map<string, number>} */
  const gatewayY = new Map();
  let lowest = -Infinity;
  for (const [address, g] of [...gateways].sort(([, a], [, b]) => (a.rows[0] ?? 0) - (b.rows[0] ?? 0))) {
    const wanted = g.rows.reduce((sum, r) => sum + rowY(r), 0) / g.rows.length;
    const y = Math.max(wanted, lowest + ROW);
    gatewayY.set(address, y);
    lowest = y;
  }
  const pictureHeight = Math.max(height, lowest + ROW / 2 + 4);

  const view = result.view ?? {};
  const edges = [];
  const boxes = [
    box({
      x: PROXY.x,
      y: proxyY,
      w: PROXY.w,
      kind: 'proxy',
      lines: [shortName(result.proxy), `network ${view.network || '(none)'} · ${view.kubeCluster || '—'}`],
      title: result.proxy,
      attributes: { 'data-proxy': result.proxy },
    }),
  ];
  const fromProxy = PROXY.x + PROXY.w;
  for (const [address, g] of gateways) {
    const y = gatewayY.get(address) ?? proxyY;
    boxes.push(
      box({
        x: GATEWAY.x,
        y,
        w: GATEWAY.w,
        kind: 'gateway',
        lines: [`gateway ${address}`, `east-west, network ${g.network}`],
        title: `east-west gateway ${address} of network ${g.network}`,
        attributes: { 'data-gateway': address, 'data-network': g.network },
      }),
    );
    edges.push(
      edge(fromProxy, proxyY, GATEWAY.x, y, { class: 'hop via-gateway', 'data-from': 'proxy', 'data-to': address }),
    );
  }
  rows.forEach((e, i) => {
    const y = rowY(i);
    const stale = unreachable.has(e.kubeCluster);
    const priority = e.priority === undefined ? '' : `priority ${e.priority}`;
    boxes.push(
      box({
        x: ENDPOINT.x,
        y,
        w: ENDPOINT.w,
        kind: `endpoint ${e.outcome}${stale ? ' stale' : ''}`,
        lines: [
          e.workload,
          `${e.kubeCluster} · network ${e.network}${stale ? ' · stale' : ''}${e.outcome === 'dropped' ? ' · not sent' : ''}`,
        ],
        title: e.reason,
        attributes: {
          'data-endpoint': e.workload,
          'data-outcome': e.outcome,
          'data-priority': e.priority,
          'data-via': e.outcome === 'via-gateway' ? e.sentAs.join(',') : undefined,
          'data-stale': stale ? 'true' : undefined,
        },
      }),
    );
    const hops =
      e.outcome === 'local'
        ? [{ x: fromProxy, y: proxyY, from: 'proxy' }]
        : e.outcome === 'via-gateway'
          ? e.sentAs.map((address) => ({ x: GATEWAY.x + GATEWAY.w, y: gatewayY.get(address) ?? proxyY, from: address }))
          : [];
    for (const hop of hops) {
      edges.push(
        edge(hop.x, hop.y, ENDPOINT.x, y, {
          class: `hop ${e.outcome}${stale ? ' stale' : ''}`,
          'data-from': hop.from,
          'data-to': e.workload,
          'data-priority': e.priority,
        }),
      );
    }
    if (priority)
      edges.push(svg('text', { x: ENDPOINT.x - 6, y: y - 5, class: 'priority', 'text-anchor': 'end' }, priority));
    if (e.outcome === 'dropped')
      edges.push(svg('text', { x: ENDPOINT.x - 6, y: y + 4, class: 'dropped-mark', 'text-anchor': 'end' }, '✕'));
  });

  const picture = svg(
    'svg',
    {
      role: 'img',
      'aria-label': `Paths from ${result.proxy} to ${result.service}`,
      viewBox: `0 0 ${WIDTH} ${pictureHeight}`,
      width: WIDTH,
      height: pictureHeight,
      class: 'paths',
    },
    svg('title', {}, `Paths from ${result.proxy} to ${result.service} (Envoy cluster ${envoyCluster})`),
    svg('text', { x: PROXY.x, y: 14, class: 'column' }, 'proxy'),
    svg('text', { x: GATEWAY.x, y: 14, class: 'column' }, gateways.size > 0 ? 'east-west gateways' : ''),
    svg('text', { x: ENDPOINT.x, y: 14, class: 'column' }, 'endpoints'),
    ...edges,
    ...boxes,
  );
  const figure = document.createElement('figure');
  figure.className = 'paths-figure';
  figure.appendChild(picture);
  const legend = document.createElement('figcaption');
  legend.textContent =
    `Envoy cluster ${envoyCluster}. ` +
    'Green: sent as is (same network, or one reached directly). Blue: through the east-west gateway of the ' +
    "endpoint's network. ✕ grey: not sent. Dashed red: stale, from an unreachable kube cluster. Hover a box for why." +
    (otherClusters > 0 ? ` ${otherClusters} more Envoy cluster(s) (ports, subsets) are in the table below.` : '');
  figure.appendChild(legend);
  return figure;
}
