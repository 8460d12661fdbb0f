import { getAdminJson } from './admin-client.ts';
import { writeStructured, type OutputFormat } from './output.ts';
import { matchProxyName } from './proxy-name.ts';
import { formatTable } from './table.ts';

interface SyncEntry {
  proxy: string;
  kubeCluster: string;
  network: string;
  kind: string;
  /** Present when the proxy's CLUSTER_ID or NETWORK matches nothing meshpilot knows. */
  unknownTopology?: { field: 'CLUSTER_ID' | 'NETWORK'; value: string; message: string }[];
  types: Record<string, { status: string; lastNack?: { message: string } | null }>;
}

const TYPES = ['cds', 'lds', 'eds', 'rds', 'sds'] as const;

/** The value, `-` when empty, marked `(unknown)` when meshpilot knows no kube cluster or network by it. */
function flagged(entry: SyncEntry, field: 'CLUSTER_ID' | 'NETWORK', value: string): string {
  if (value === '') return '-';
  return entry.unknownTopology?.some((u) => u.field === field) ? `${value} (unknown)` : value;
}

/** `meshpilot proxy-status`: every connected proxy and, per xDS type, SYNCED / STALE / NACKED / NOT SENT. */
export async function runProxyStatus(
  adminUrl: string,
  out: { write(text: string): void },
  format: OutputFormat = 'short',
  proxyName?: string,
): Promise<number> {
  const all = (await getAdminJson(adminUrl, '/debug/syncz')) as SyncEntry[];
  // As istioctl proxy-status <pod>: one proxy, named by node id, <pod>.<namespace> or pod.
  const only =
    proxyName === undefined
      ? undefined
      : matchProxyName(
          proxyName,
          all.map((e) => e.proxy),
        );
  const entries = only === undefined ? all : all.filter((e) => e.proxy === only);
  if (writeStructured(out, format, entries)) return 0;
  const rows = [...entries]
    .sort((a, b) => a.proxy.localeCompare(b.proxy))
    .map((e) => [
      e.proxy,
      flagged(e, 'CLUSTER_ID', e.kubeCluster),
      flagged(e, 'NETWORK', e.network),
      ...TYPES.map((t) => e.types[t]?.status ?? 'IGNORED'),
      e.kind,
    ]);
  out.write(formatTable(['NAME', 'CLUSTER', 'NETWORK', 'CDS', 'LDS', 'EDS', 'RDS', 'SDS', 'STREAM'], rows));
  return 0;
}
