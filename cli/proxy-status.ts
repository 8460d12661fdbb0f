import { getAdminJson } from './admin-client.ts';
import { formatTable } from './table.ts';

interface SyncEntry {
  proxy: string;
  kubeCluster: string;
  network: string;
  kind: string;
  types: Record<string, { status: string; lastNack?: { message: string } | null }>;
}

const TYPES = ['cds', 'lds', 'eds', 'rds', 'sds'] as const;

/** `meshpilot proxy-status`: every connected proxy and, per xDS type, SYNCED / STALE / NACKED / NOT SENT. */
export async function runProxyStatus(
  adminUrl: string,
  out: { write(text: string): void },
  format: 'table' | 'json' = 'table',
): Promise<number> {
  const entries = (await getAdminJson(adminUrl, '/debug/syncz')) as SyncEntry[];
  if (format === 'json') {
    out.write(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
  }
  const rows = [...entries]
    .sort((a, b) => a.proxy.localeCompare(b.proxy))
    .map((e) => [
      e.proxy,
      e.kubeCluster || '-',
      e.network || '-',
      ...TYPES.map((t) => e.types[t]?.status ?? 'IGNORED'),
      e.kind,
    ]);
  out.write(formatTable(['NAME', 'CLUSTER', 'NETWORK', 'CDS', 'LDS', 'EDS', 'RDS', 'SDS', 'STREAM'], rows));
  return 0;
}
