/** meshpilot's admin endpoints as the matrix reads them: /debug/syncz and /debug/config_dump. */

export interface SyncStatus {
  readonly proxy: string;
  readonly kind: 'sotw' | 'delta';
  readonly types: Record<string, { status: string; sentVersion: string | null }>;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.json();
}

/** The proxy's stream(s) as /debug/syncz lists them. */
export async function syncz(adminUrl: string, proxyId: string): Promise<SyncStatus[]> {
  const all = (await getJson(`${adminUrl}/debug/syncz`)) as SyncStatus[];
  return all.filter((entry) => entry.proxy === proxyId);
}

/** True once the proxy has one stream and every type it subscribed to is SYNCED (sent version ACKed). */
export async function synced(adminUrl: string, proxyId: string): Promise<boolean> {
  const streams = await syncz(adminUrl, proxyId);
  return (
    streams.length === 1 &&
    Object.keys(streams[0]!.types).length > 0 &&
    Object.values(streams[0]!.types).every((t) => t.status === 'SYNCED')
  );
}

export interface DumpedResource {
  readonly typeUrl: string;
  readonly name: string;
  readonly version: string;
  readonly object: Record<string, unknown>;
}

type Dump = { configs: Record<string, unknown>[] };
type Versioned = { version_info: string };

/** The resources of /debug/config_dump?proxyID=, per type URL and name (Envoy admin ConfigDump shapes). */
export async function configDump(adminUrl: string, proxyId: string): Promise<DumpedResource[]> {
  const dump = (await getJson(`${adminUrl}/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`)) as Dump;
  const out: DumpedResource[] = [];
  const add = (object: Record<string, unknown>, name: unknown, version: string) =>
    out.push({ typeUrl: String(object['@type']), name: String(name), version, object });
  for (const config of dump.configs) {
    const items = (key: string) => (config[key] ?? []) as (Versioned & Record<string, Record<string, unknown>>)[];
    for (const c of items('dynamic_active_clusters')) add(c.cluster!, c.cluster!.name, c.version_info);
    for (const e of items('dynamic_endpoint_configs'))
      add(e.endpoint_config!, e.endpoint_config!.cluster_name, e.version_info);
    for (const r of items('dynamic_route_configs')) add(r.route_config!, r.route_config!.name, r.version_info);
    for (const l of (config.dynamic_listeners ?? []) as {
      name: string;
      active_state: Versioned & { listener: Record<string, unknown> };
    }[])
      add(l.active_state.listener, l.name, l.active_state.version_info);
  }
  return out;
}
