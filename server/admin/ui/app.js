// @ts-check
/* global document, fetch, location, URLSearchParams */
// The admin page: loads the /debug endpoints, renders its sections, refreshes every few seconds.
import { el, empty, show } from './dom.js';
import { istioConfigPanel } from './istio-config.js';
import { meshMap } from './mesh-map.js';
import { pathsPicture } from './paths.js';
import { stalePanel } from './stale.js';
import { serviceMatrix } from './service-matrix.js';
import { explainTable, kubeClustersTable, proxiesTable } from './sections.js';

const DEFAULT_REFRESH_SECONDS = 3;
/** Proxies per page of the proxies table: the server answers at most 500 per request. */
const DEFAULT_PROXIES_PER_PAGE = 100;

/** `?refresh=N` (1..3600 seconds) overrides the refresh period. */
function refreshSeconds() {
  const asked = Number(new URLSearchParams(location.search).get('refresh'));
  return Number.isInteger(asked) && asked >= 1 && asked <= 3600 ? asked : DEFAULT_REFRESH_SECONDS;
}

/** `?proxies=N` (1..500) overrides how many proxies one page of the proxies table shows. */
function proxiesPerPage() {
  const asked = Number(new URLSearchParams(location.search).get('proxies'));
  return Number.isInteger(asked) && asked >= 1 && asked <= 500 ? asked : DEFAULT_PROXIES_PER_PAGE;
}

/**
 * @param {string} path
 * @returns {Promise<{ body: any, total: number | undefined }>}
 */
async function getJsonWithTotal(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  /** @type {any} */
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${body?.error ?? response.statusText}`);
  const total = Number(response.headers.get('x-total-count') ?? Number.NaN);
  return { body, total: Number.isInteger(total) ? total : undefined };
}

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
async function getJson(path) {
  return (await getJsonWithTotal(path)).body;
}

/**
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @returns {T}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page has no element #${id}`);
  return /** @type {T} */ (/** @type {unknown} */ (element));
}

/**
 * Sets a select's options to `values`, keeping the current choice; a choice that disappeared stays
 * listed as "(gone)" so the user sees why its table turned into an error.
 * @param {HTMLSelectElement} select
 * @param {string[]} values
 * @param {string} placeholder
 * @param {string} [missing] how a chosen value no longer listed is marked
 */
function setOptions(select, values, placeholder, missing = 'gone') {
  const current = select.value;
  const wanted = current && !values.includes(current) ? [...values, current] : values;
  const listed = [...select.options].slice(1).map((o) => o.value);
  if (listed.length === wanted.length && listed.every((v, i) => v === wanted[i])) return;
  select.replaceChildren(
    el('option', { value: '' }, placeholder),
    ...wanted.map((v) => el('option', { value: v }, values.includes(v) ? v : `${v} (${missing})`)),
  );
  select.value = current;
}

function start() {
  const seconds = refreshSeconds();
  show('refresh-seconds', String(seconds));
  /** @type {HTMLInputElement} */
  const auto = byId('auto-refresh');
  /** @type {HTMLSelectElement} */
  const proxySelect = byId('explain-proxy');
  /** @type {HTMLSelectElement} */
  const serviceSelect = byId('explain-service');
  /** @type {HTMLElement} */
  const errorBox = byId('load-error');
  /** @type {HTMLButtonElement} */
  const previousPage = byId('proxies-prev');
  /** @type {HTMLButtonElement} */
  const nextPage = byId('proxies-next');
  const perPage = proxiesPerPage();
  let proxyOffset = 0;
  /** Kube clusters unreachable at the last refresh: their endpoints are drawn stale. @type {Set<string>} */
  let unreachable = new Set();
  let running = false;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;

  async function refreshExplain() {
    const proxy = proxySelect.value;
    const service = serviceSelect.value;
    if (!proxy || !service) {
      show('explain-paths');
      show('explain', empty("Choose a proxy and a service to see each endpoint's address, priority and why."));
      return;
    }
    const query = new URLSearchParams({ proxyID: proxy, service });
    try {
      const result = await getJson(`/debug/explain?${query}`);
      // The user may have changed the selection while this was in flight.
      if (proxySelect.value === proxy && serviceSelect.value === service) {
        show('explain-paths', result.endpoints.length > 0 ? pathsPicture(result, unreachable) : null);
        show('explain', explainTable(result));
      }
    } catch (error) {
      if (proxySelect.value === proxy && serviceSelect.value === service) {
        show('explain-paths');
        show('explain', empty(error instanceof Error ? error.message : String(error)));
      }
    }
  }

  async function refreshAll() {
    if (running) return;
    running = true;
    try {
      /** @type {string[]} */
      const errors = [];
      const load = async (/** @type {string} */ path) => {
        try {
          return await getJson(path);
        } catch (error) {
          errors.push(error instanceof Error ? error.message : String(error));
          return undefined;
        }
      };
      // One page of proxies: a thousand connected proxies make neither a huge answer nor a huge table.
      const proxiesPath = `/debug/syncz?${new URLSearchParams({ offset: String(proxyOffset), limit: String(perPage) })}`;
      const [[clusters, registry, endpoints, configz], proxyPage] = await Promise.all([
        Promise.all(['/debug/clusterz', '/debug/registryz', '/debug/endpointz', '/debug/configz'].map(load)),
        getJsonWithTotal(proxiesPath).catch((/** @type {unknown} */ error) => {
          errors.push(error instanceof Error ? error.message : String(error));
          return undefined;
        }),
      ]);
      const proxies = proxyPage?.body;
      const total = proxyPage?.total ?? proxies?.length ?? 0;
      if (proxies && proxies.length === 0 && proxyOffset > 0 && total > 0) {
        // The page emptied (proxies left): go back to the last page with proxies on the next refresh.
        proxyOffset = Math.max(0, Math.floor((total - 1) / perPage) * perPage);
      }
      if (clusters) {
        show('kube-clusters', kubeClustersTable(clusters));
        unreachable = new Set(
          clusters
            .filter((/** @type {{ state: string }} */ c) => c.state === 'unreachable')
            .map((/** @type {{ name: string }} */ c) => c.name),
        );
      }
      if (clusters && endpoints) show('stale', stalePanel(clusters, endpoints));
      if (clusters && registry && endpoints) show('mesh-map', meshMap(clusters, registry, endpoints, proxies ?? []));
      if (configz) show('istio-config', istioConfigPanel(configz));
      if (registry && endpoints) {
        show('service-matrix', ...serviceMatrix(registry, endpoints));
        setOptions(
          serviceSelect,
          (registry.services ?? []).map((/** @type {{hostname: string}} */ s) => s.hostname),
          'Choose a service…',
        );
      }
      if (proxies) {
        show('proxies', proxiesTable(proxies, { offset: proxyOffset, total }));
        previousPage.disabled = proxyOffset === 0;
        nextPage.disabled = proxyOffset + proxies.length >= total;
        show(
          'proxies-page',
          total > proxies.length && proxies.length > 0
            ? `${proxyOffset + 1}–${proxyOffset + proxies.length} of ${total}`
            : '',
        );
        setOptions(
          proxySelect,
          proxies.map((/** @type {{proxy: string}} */ p) => p.proxy),
          'Choose a proxy…',
          total > proxies.length ? 'not on this page' : 'gone',
        );
      }
      await refreshExplain();
      errorBox.hidden = errors.length === 0;
      show('load-error', errors.length > 0 ? `Could not load ${errors.join('; ')}` : '');
      show('refresh-status', `${auto.checked ? 'Updated' : 'Paused; updated'} ${new Date().toLocaleTimeString()}`);
    } finally {
      running = false;
    }
  }

  function setAutoRefresh() {
    if (timer !== undefined) clearInterval(timer);
    timer = auto.checked ? setInterval(() => void refreshAll(), seconds * 1000) : undefined;
    if (!auto.checked) show('refresh-status', 'Paused');
  }

  previousPage.addEventListener('click', () => {
    proxyOffset = Math.max(0, proxyOffset - perPage);
    void refreshAll();
  });
  nextPage.addEventListener('click', () => {
    proxyOffset += perPage;
    void refreshAll();
  });
  auto.addEventListener('change', setAutoRefresh);
  byId('refresh-now').addEventListener('click', () => void refreshAll());
  proxySelect.addEventListener('change', () => void refreshExplain());
  serviceSelect.addEventListener('change', () => void refreshExplain());
  byId('explain-form').addEventListener('submit', (event) => event.preventDefault());
  setAutoRefresh();
  void refreshAll();
}

start();
