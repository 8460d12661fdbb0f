import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { MeshSnapshot } from '../../model/types.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { ConfigzView } from '../istio-config/config-store.ts';
import type { KubeClusterHealth } from '../registry/kube-cluster-source.ts';
import type { DroppedInput } from '../registry/dropped-inputs.ts';
import type { GatewayNameState } from '../gateway-dns/gateway-name-cache.ts';
import type { MeshXdsService } from '../cache/mesh-xds-service.ts';
import { explainServiceEndpoints } from '../../translators/eds-explain.ts';
import { explainOptIns } from '../../translators/opt-in-explain.ts';
import { topologyChecker } from '../generators/proxy-topology.ts';
import { configDump } from './config-dump.ts';
import { envoyClusters } from './envoy-clusters.ts';
import { LISTED_NAMES_LIMIT, parseSynczQuery, selectSyncSources, syncEntry } from './syncz.ts';
import { DEFAULT_CHUNK_SIZE, writeJsonArray, writeJsonObject, writeJsonWithArray } from './json-chunks.ts';
import { toProto3Json } from '../../protos/proto3-json.ts';
import { uiRoutes } from './ui/ui-routes.ts';
import { handleLogLevel } from './log-level.ts';

const CONFIG_DUMP = 'envoy.admin.v3.ConfigDump';

export interface AdminSources {
  readonly metrics: Metrics;
  readonly xds: MeshXdsService;
  readonly logger: Logger;
  readonly snapshot: () => MeshSnapshot | undefined;
  readonly kubeClusters: () => readonly KubeClusterHealth[];
  /** Istio config sources, accepted objects and rejects (with reasons); absent = no config sources. */
  readonly istioConfig?: () => ConfigzView;
  /** Undefined when ready; otherwise why not (e.g. which kube clusters have not synced). */
  readonly notReadyReason: () => string | undefined;
  /** Registry objects whose invalid values were dropped (listed on /debug/registryz). */
  readonly droppedInputs?: () => readonly DroppedInput[];
  /** The east-west gateway hostnames and what they resolve to (/debug/gatewaydnsz). */
  readonly gatewayNames?: () => readonly GatewayNameState[];
}

/**
 * istiod's /debug/clusterz entry (pkg/cluster DebugInfo: id, secretName, syncStatus), which
 * `istioctl remote-clusters` reads, beside meshpilot's own fields. syncStatus in istiod's words.
 */
function withIstiodClusterFields(
  health: KubeClusterHealth,
): KubeClusterHealth & { id: string; secretName: string; syncStatus: string } {
  const syncStatus = health.state === 'unreachable' ? 'timeout' : health.state;
  return { ...health, id: health.name, secretName: '', syncStatus };
}

type Handler = (url: URL, res: ServerResponse) => Promise<void> | void;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

/** Admin HTTP: health, readiness, Prometheus metrics, /debug views (read-only) and the log level (/scopej). */
export function createAdminServer(sources: AdminSources): Server {
  const routes: Record<string, Handler> = {
    ...uiRoutes(),
    '/healthz': (_url, res) => json(res, 200, { status: 'ok' }),
    '/readyz': (_url, res) => {
      const reason = sources.notReadyReason();
      json(res, reason ? 503 : 200, reason ? { status: 'not ready', reason } : { status: 'ready' });
    },
    '/metrics': async (_url, res) => {
      res.writeHead(200, { 'content-type': sources.metrics.registry.contentType });
      res.end(await sources.metrics.registry.metrics());
    },
    '/debug/configz': (_url, res) =>
      json(res, 200, sources.istioConfig?.() ?? { sources: [], accepted: [], rejected: [], unsupported: [] }),
    // Large answers are written a chunk per turn of the event loop (ADS pushes go on meanwhile).
    '/debug/syncz': (url, res) => {
      const query = parseSynczQuery(url.searchParams);
      if (!query.ok) return json(res, 400, { error: query.error });
      const { selected, total } = selectSyncSources(sources.xds.connected(), query);
      res.writeHead(200, { 'content-type': 'application/json', 'x-total-count': String(total) });
      const namesLimit = query.proxyId !== undefined ? Number.POSITIVE_INFINITY : LISTED_NAMES_LIMIT;
      const snapshot = sources.snapshot();
      const check = snapshot ? topologyChecker(snapshot) : undefined;
      return writeJsonArray(res, selected, (c) => syncEntry(c, namesLimit, check), { chunkSize: chunkSize.proxies });
    },
    '/debug/config_dump': (url, res) => {
      const proxyId = url.searchParams.get('proxyID');
      if (!proxyId) return json(res, 400, { error: 'query parameter proxyID is required' });
      const connection = sources.xds.connected().find((c) => c.proxy?.id === proxyId || c.id === proxyId);
      if (!connection) return json(res, 404, { error: `no connected proxy with id ${proxyId}` });
      const dump = configDump(connection);
      // format=proto3: the canonical proto3 JSON of Envoy's /config_dump (durations as "5s", Structs as
      // objects), which `istioctl proxy-config ... -f` and `istioctl proxy-status <pod> --file` read.
      json(res, 200, url.searchParams.get('format') === 'proto3' ? toProto3Json(CONFIG_DUMP, dump) : dump);
    },
    // Envoy's admin /clusters?format=json for one proxy (see envoy-clusters.ts); istioctl's `proxy-config endpoint`.
    '/debug/clusters': (url, res) => {
      const proxyId = url.searchParams.get('proxyID');
      if (!proxyId) return json(res, 400, { error: 'query parameter proxyID is required' });
      const connection = sources.xds.connected().find((c) => c.proxy?.id === proxyId || c.id === proxyId);
      if (!connection) return json(res, 404, { error: `no connected proxy with id ${proxyId}` });
      json(res, 200, envoyClusters(connection));
    },
    '/debug/explain': (url, res) => {
      const proxyId = url.searchParams.get('proxyID');
      const service = url.searchParams.get('service');
      if (!proxyId || !service) return json(res, 400, { error: 'query parameters proxyID and service are required' });
      const connection = sources.xds.connected().find((c) => c.proxy?.id === proxyId || c.id === proxyId);
      if (!connection?.proxy) return json(res, 404, { error: `no connected proxy with id ${proxyId}` });
      const snapshot = sources.snapshot();
      const hostname = snapshot ? resolveServiceName(snapshot, service) : undefined;
      if (!snapshot || !hostname) return json(res, 404, { error: `no service ${service} in the mesh` });
      json(res, 200, {
        proxy: proxyId,
        view: connection.proxy.view,
        service: hostname,
        endpoints: explainServiceEndpoints(snapshot, connection.proxy.view, hostname),
        // Gateways given by hostname exist only once resolved: their DNS state explains a missing gateway.
        gatewayHostnames: sources.gatewayNames?.() ?? [],
        optIns: explainOptIns(snapshot, connection.proxy.view, hostname),
      });
    },
    '/debug/registryz': (_url, res) => writeRegistryView(res, sources.snapshot(), sources.droppedInputs?.() ?? []),
    '/debug/endpointz': (_url, res) => writeEndpointView(res, sources.snapshot()),
    '/debug/clusterz': (_url, res) => json(res, 200, sources.kubeClusters().map(withIstiodClusterFields)),
    // Each gateway hostname: its addresses, state, TTL, when it was and will be resolved, the last error.
    '/debug/gatewaydnsz': (_url, res) => json(res, 200, sources.gatewayNames?.() ?? []),
  };
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (url.pathname.startsWith('/scopej')) {
      handleLogLevel(req, url, res, sources.logger).catch((error: unknown) => {
        sources.logger.error({ path: url.pathname, error: String(error) }, 'admin handler failed');
        if (!res.headersSent) json(res, 500, { error: 'internal error' });
      });
      return;
    }
    const handler = routes[url.pathname];
    if (req.method !== 'GET' || !handler)
      return json(res, 404, { error: `no ${req.method} ${url.pathname}`, paths: Object.keys(routes) });
    Promise.resolve(handler(url, res)).catch((error: unknown) => {
      sources.logger.error(
        { path: url.pathname, error: error instanceof Error ? error.message : String(error) },
        'admin handler failed',
      );
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  });
}

/** `helloworld.default.svc.cluster.local`, `helloworld.default` or `helloworld.default.svc` → the FQDN. */
function resolveServiceName(snapshot: MeshSnapshot, name: string): string | undefined {
  const candidates = [name, `${name}.svc.${snapshot.domainSuffix}`, `${name}.${snapshot.domainSuffix}`];
  return candidates.find((candidate) => snapshot.services.has(candidate));
}

/** Items (proxies, services) per turn of the event loop in the large admin answers. */
const chunkSize = { proxies: DEFAULT_CHUNK_SIZE, services: DEFAULT_CHUNK_SIZE };

function writeRegistryView(
  res: ServerResponse,
  snapshot: MeshSnapshot | undefined,
  droppedInputs: readonly DroppedInput[],
): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  const head = snapshot
    ? { droppedInputs, kubeClusters: snapshot.kubeClusters, gateways: Object.fromEntries(snapshot.gateways) }
    : { droppedInputs };
  const services = snapshot ? [...snapshot.services.values()] : [];
  return writeJsonWithArray(
    res,
    head,
    'services',
    services,
    (service) => ({
      ...service,
      endpoints: Object.fromEntries(
        [...(snapshot?.endpoints.get(service.hostname) ?? new Map())].map(([port, list]) => [port, list.length]),
      ),
    }),
    { chunkSize: chunkSize.services },
  );
}

function writeEndpointView(res: ServerResponse, snapshot: MeshSnapshot | undefined): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  return writeJsonObject(res, snapshot ? [...snapshot.endpoints] : [], (byPort) => Object.fromEntries(byPort), {
    chunkSize: chunkSize.services,
  });
}

export async function listenHttp(server: Server, address: string): Promise<number> {
  const { host, port } = splitHostPort(address);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? bound.port : port);
    });
  });
}

export function splitHostPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (!match) throw new Error(`address "${address}" is not host:port`);
  return { host: match[1]!, port: Number(match[2]) };
}
