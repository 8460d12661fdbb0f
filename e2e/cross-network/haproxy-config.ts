import type { ProtoObject } from '../../protos/any.ts';

/**
 * A test adapter: the east-west gateway's config as meshpilot serves it to a `router` proxy in sni-dnat mode (the
 * AUTO_PASSTHROUGH listener, its clusters and their endpoints) translated into an HAProxy configuration that does the
 * same in TCP mode: read the TLS ClientHello, pick a backend by SNI (and the Istio ALPNs), pass the still-encrypted
 * connection on. It throws on anything it cannot translate, so the gateway never silently differs from what
 * meshpilot said. One approximation: HAProxy's req.ssl_alpn sees the client's first ALPN only, where Envoy's
 * application_protocols match any (Istio clients list `istio-peer-exchange` first). Endpoint priorities become servers
 * (priority 0) and backups (priority 1); a cluster's outlier detection becomes a passive health check.
 */
export function haproxyConfig(
  listeners: readonly ProtoObject[],
  clusters: readonly ProtoObject[],
  assignments: readonly ProtoObject[],
): string {
  const lines = [
    'global',
    '  maxconn 1000',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 120s',
    '  timeout server 120s',
  ];
  const clusterByName = new Map(clusters.map((c) => [String(c.name), c]));
  const assignmentByName = new Map(assignments.map((a) => [String(a.cluster_name), a]));
  const backends = new Map<string, string>();
  for (const listener of listeners) {
    const name = String(listener.name);
    const { address, port } = socketAddress(listener.address, `listener ${name}`);
    const listenerFilters = (listener.listener_filters ?? []) as ProtoObject[];
    if (listenerFilters.length !== 1 || !String(listenerFilters[0]!.name).includes('tls_inspector'))
      throw new Error(`listener ${name}: only a tls_inspector listener filter can be translated`);
    lines.push(`frontend ${label(name)}`, `  bind ${address}:${port}`, '  tcp-request inspect-delay 5s');
    lines.push('  tcp-request content accept if { req_ssl_hello_type 1 }');
    for (const [i, chain] of ((listener.filter_chains ?? []) as ProtoObject[]).entries()) {
      const where = `listener ${name} filter_chains[${i}]`;
      const match = (chain.filter_chain_match ?? {}) as ProtoObject;
      const unknownMatch = Object.keys(match).filter((k) => k !== 'server_names' && k !== 'application_protocols');
      if (unknownMatch.length > 0) throw new Error(`${where}: cannot translate filter_chain_match ${unknownMatch}`);
      const serverNames = (match.server_names ?? []) as string[];
      if (serverNames.length === 0) throw new Error(`${where}: no server_names (HAProxy routes by SNI only here)`);
      if (chain.transport_socket !== undefined) throw new Error(`${where}: TLS termination cannot be translated`);
      const filters = (chain.filters ?? []) as ProtoObject[];
      const config = (filters[0]?.typed_config ?? {}) as ProtoObject;
      if (filters.length !== 1 || !String(config['@type']).endsWith('tcp_proxy.v3.TcpProxy'))
        throw new Error(`${where}: only one tcp_proxy filter can be translated`);
      if (typeof config.cluster !== 'string') throw new Error(`${where}: tcp_proxy without a single cluster`);
      const backend = backends.get(config.cluster) ?? `b${backends.size}`;
      backends.set(config.cluster, backend);
      const alpns = (match.application_protocols ?? []) as string[];
      const sni = serverNames.map((n) => `-i ${n}`).join(' ');
      const alpn = alpns.length > 0 ? ` { req.ssl_alpn ${alpns.map((a) => `-i ${a}`).join(' ')} }` : '';
      lines.push(`  use_backend ${backend} if { req.ssl_sni ${sni} }${alpn}`);
    }
  }
  for (const [clusterName, backend] of backends) {
    const cluster = clusterByName.get(clusterName);
    if (!cluster) throw new Error(`cluster ${clusterName}: named by the listener but not served`);
    if (cluster.type !== 'EDS')
      throw new Error(`cluster ${clusterName}: type ${String(cluster.type)} cannot be translated`);
    const assignment = assignmentByName.get(clusterName);
    if (!assignment) throw new Error(`cluster ${clusterName}: no ClusterLoadAssignment`);
    lines.push(`backend ${backend}`, `  # ${clusterName}`);
    const ejection = outlierDetection(cluster, clusterName);
    const priorities = new Set<number>();
    let n = 0;
    for (const locality of (assignment.endpoints ?? []) as ProtoObject[]) {
      const priority = Number(locality.priority ?? 0);
      priorities.add(priority);
      for (const lb of (locality.lb_endpoints ?? []) as ProtoObject[]) {
        const endpoint = (lb.endpoint ?? {}) as ProtoObject;
        const { address, port } = socketAddress(endpoint.address, `cluster ${clusterName} endpoint`);
        const raw = lb.load_balancing_weight as number | { value?: number } | undefined;
        const weight = typeof raw === 'object' ? (raw.value ?? 1) : (raw ?? 1);
        // Priority 0 serves; priority 1 takes over when every priority-0 server is down (HAProxy's backup).
        const backup = priority > 0 ? ' backup' : '';
        lines.push(`  server e${n} ${address}:${port} weight ${Math.min(256, weight)}${backup}${ejection}`);
        n += 1;
      }
    }
    if (priorities.size > 2 || [...priorities].some((p) => p > 1))
      throw new Error(`cluster ${clusterName}: priorities ${[...priorities]} (HAProxy has servers and backups only)`);
    if (n === 0) throw new Error(`cluster ${clusterName}: no endpoints`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Envoy's outlier detection as HAProxy's passive health check: a server is marked down after the cluster's
 * consecutive 5xx (in Envoy a connect failure counts as one) connection errors in a row; HAProxy's active check
 * then brings it back, where Envoy would after the ejection time.
 */
function outlierDetection(cluster: ProtoObject, clusterName: string): string {
  const detection = cluster.outlier_detection as ProtoObject | undefined;
  if (detection === undefined) return '';
  const raw = detection.consecutive_5xx as { value?: number } | undefined;
  const limit = raw?.value ?? 5;
  if (limit < 1)
    throw new Error(`cluster ${clusterName}: outlier_detection.consecutive_5xx ${limit} cannot be translated`);
  return ` check observe layer4 error-limit ${limit} on-error mark-down`;
}

function socketAddress(value: unknown, where: string): { address: string; port: number } {
  const socket = ((value ?? {}) as ProtoObject).socket_address as ProtoObject | undefined;
  if (!socket || typeof socket.address !== 'string' || typeof socket.port_value !== 'number')
    throw new Error(`${where}: only a socket_address with port_value can be translated`);
  return { address: socket.address, port: socket.port_value };
}

function label(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}
