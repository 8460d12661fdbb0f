import { getAdminJson } from './admin-client.ts';
import { writeStructured, type OutputFormat } from './output.ts';
import { resolveProxyName } from './proxy-name.ts';
import { formatTable } from './table.ts';

export const PROXY_CONFIG_KINDS = ['clusters', 'endpoints', 'listeners', 'routes', 'secret', 'all'] as const;
export type ProxyConfigKind = (typeof PROXY_CONFIG_KINDS)[number];

/** Every name a kind answers to, as istioctl: singular, plural and its short form. */
const KIND_NAMES: Readonly<Record<string, ProxyConfigKind>> = {
  cluster: 'clusters',
  clusters: 'clusters',
  c: 'clusters',
  endpoint: 'endpoints',
  endpoints: 'endpoints',
  ep: 'endpoints',
  listener: 'listeners',
  listeners: 'listeners',
  l: 'listeners',
  route: 'routes',
  routes: 'routes',
  r: 'routes',
  secret: 'secret',
  secrets: 'secret',
  s: 'secret',
  all: 'all',
};

export function parseProxyConfigKind(value: string): ProxyConfigKind | undefined {
  return KIND_NAMES[value];
}

/** istioctl's proxy-config filters: clusters and endpoints by service FQDN (substring), port, direction and subset; listeners by port. */
export interface ProxyConfigFilter {
  readonly fqdn?: string;
  readonly port?: number;
  readonly direction?: 'inbound' | 'outbound';
  readonly subset?: string;
}

type Json = Record<string, unknown>;
const DUMP_TYPES: Record<Exclude<ProxyConfigKind, 'all'>, string> = {
  clusters: 'ClustersConfigDump',
  endpoints: 'EndpointsConfigDump',
  listeners: 'ListenersConfigDump',
  routes: 'RoutesConfigDump',
  secret: 'SecretsConfigDump',
};

function list(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}
function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null ? (value as Json) : {};
}
function str(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** `outbound|5000|v1|helloworld.default.svc.cluster.local` → its parts; other names have none. */
function envoyClusterParts(
  name: string,
): { direction: string; port: string; subset: string; fqdn: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  return { direction: parts[0]!, port: parts[1]!, subset: parts[2]!, fqdn: parts[3]! };
}

function clusterNameMatches(name: string, filter: ProxyConfigFilter): boolean {
  const parts = envoyClusterParts(name);
  if (filter.fqdn !== undefined && !(parts ? parts.fqdn : name).includes(filter.fqdn)) return false;
  if (filter.port !== undefined && parts?.port !== String(filter.port)) return false;
  if (filter.direction !== undefined && parts?.direction !== filter.direction) return false;
  if (filter.subset !== undefined && parts?.subset !== filter.subset) return false;
  return true;
}

const SECTION_LISTS: Record<Exclude<ProxyConfigKind, 'all'>, string> = {
  clusters: 'dynamic_active_clusters',
  endpoints: 'dynamic_endpoint_configs',
  listeners: 'dynamic_listeners',
  routes: 'dynamic_route_configs',
  secret: 'dynamic_active_secrets',
};

function entryKeep(kind: Exclude<ProxyConfigKind, 'all'>, entry: Json, filter: ProxyConfigFilter): boolean {
  if (kind === 'clusters') return clusterNameMatches(str(obj(entry.cluster).name), filter);
  if (kind === 'endpoints') return clusterNameMatches(str(obj(entry.endpoint_config).cluster_name), filter);
  if (kind === 'listeners' && filter.port !== undefined) {
    const socket = obj(obj(obj(obj(entry.active_state).listener).address).socket_address);
    const name = str(entry.name);
    return str(socket.port_value) === String(filter.port) || name.endsWith(`:${filter.port}`);
  }
  return true;
}

/** The section with only the entries the filter keeps. */
function filtered(kind: Exclude<ProxyConfigKind, 'all'>, section: Json, filter: ProxyConfigFilter): Json {
  const key = SECTION_LISTS[kind];
  if (!Array.isArray(section[key])) return section;
  return { ...section, [key]: list(section[key]).filter((entry) => entryKeep(kind, entry, filter)) };
}

function clusterRows(section: Json): string[][] {
  return list(section.dynamic_active_clusters).map((entry) => {
    const cluster = obj(entry.cluster);
    const name = str(cluster.name);
    const parts = name.split('|');
    const outbound = parts.length === 4;
    return [
      outbound ? parts[3]! : name,
      outbound ? parts[1]! : '-',
      outbound ? parts[2] || '-' : '-',
      outbound ? parts[0]! : '-',
      str(cluster.type) || 'STATIC',
      str(cluster.lb_policy) || 'ROUND_ROBIN',
    ];
  });
}

function endpointRows(section: Json): string[][] {
  return list(section.dynamic_endpoint_configs).flatMap((entry) => {
    const config = obj(entry.endpoint_config);
    return list(config.endpoints).flatMap((locality) => {
      const where = obj(locality.locality);
      const place = [str(where.region), str(where.zone), str(where.sub_zone)].filter((p) => p !== '').join('/') || '-';
      return list(locality.lb_endpoints).map((lb) => {
        const socket = obj(obj(obj(lb.endpoint).address).socket_address);
        return [
          `${str(socket.address)}:${str(socket.port_value)}`,
          str(lb.health_status) || 'HEALTHY',
          str(locality.priority) || '0',
          str(obj(lb.load_balancing_weight).value) || '1',
          place,
          str(config.cluster_name),
        ];
      });
    });
  });
}

function listenerRows(section: Json): string[][] {
  return list(section.dynamic_listeners).map((entry) => {
    const listener = obj(obj(entry.active_state).listener);
    const socket = obj(obj(listener.address).socket_address);
    const api = listener.api_listener !== undefined;
    return [
      str(entry.name),
      api ? '-' : str(socket.address),
      api ? '-' : str(socket.port_value),
      api ? 'api_listener (proxyless)' : `${list(listener.filter_chains).length} filter chains`,
    ];
  });
}

function routeRows(section: Json): string[][] {
  return list(section.dynamic_route_configs).flatMap((entry) => {
    const config = obj(entry.route_config);
    return list(config.virtual_hosts).map((vhost) => {
      const domains = list(vhost.domains).map(str);
      const shown =
        domains.length > 2 ? `${domains.slice(0, 2).join(', ')} + ${domains.length - 2} more` : domains.join(', ');
      return [str(config.name), str(vhost.name), shown, `${list(vhost.routes).length}`];
    });
  });
}

function secretRows(section: Json): string[][] {
  return list(section.dynamic_active_secrets).map((entry) => [
    str(entry.name),
    str(entry.version_info),
    str(entry.last_updated),
  ]);
}

const TABLES: Record<Exclude<ProxyConfigKind, 'all'>, { header: string[]; rows: (section: Json) => string[][] }> = {
  clusters: { header: ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'LB POLICY'], rows: clusterRows },
  endpoints: { header: ['ENDPOINT', 'STATUS', 'PRIORITY', 'WEIGHT', 'LOCALITY', 'CLUSTER'], rows: endpointRows },
  listeners: { header: ['NAME', 'ADDRESS', 'PORT', 'KIND'], rows: listenerRows },
  routes: { header: ['NAME', 'VIRTUAL HOST', 'DOMAINS', 'ROUTES'], rows: routeRows },
  secret: { header: ['RESOURCE NAME', 'VERSION', 'LAST UPDATED'], rows: secretRows },
};

/** `meshpilot proxy-config <kind> <proxy>`: what meshpilot sent that proxy, as tables, JSON or YAML. */
export async function runProxyConfig(
  adminUrl: string,
  kind: ProxyConfigKind,
  proxyName: string,
  out: { write(text: string): void },
  format: OutputFormat = 'short',
  filter: ProxyConfigFilter = {},
): Promise<number> {
  const id = await resolveProxyName(adminUrl, proxyName);
  const dump = obj(await getAdminJson(adminUrl, `/debug/config_dump?proxyID=${encodeURIComponent(id)}`));
  const sections = list(dump.configs);
  const kinds = kind === 'all' ? (Object.keys(TABLES) as Exclude<ProxyConfigKind, 'all'>[]) : [kind];
  const chosen = kinds.map((k) => ({
    kind: k,
    section: filtered(k, sections.find((s) => str(s['@type']).endsWith(DUMP_TYPES[k])) ?? {}, filter),
  }));
  const structured = kind === 'all' ? { ...dump, configs: chosen.map((c) => c.section) } : chosen[0]!.section;
  if (writeStructured(out, format, structured)) return 0;
  for (const { kind: k, section } of chosen) {
    if (kind === 'all') out.write(`\n${k.toUpperCase()}\n`);
    out.write(formatTable(TABLES[k].header, TABLES[k].rows(section)));
  }
  return 0;
}
