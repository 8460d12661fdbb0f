import { getAdminJson } from './admin-client.ts';
import { writeStructured, type OutputFormat } from './output.ts';
import { formatTable } from './table.ts';

interface KubeClusterEntry {
  name: string;
  source: string;
  state: string;
  network?: string;
  syncedAt?: string;
  lastError?: string;
}

/** istioctl's words for a kube cluster's state (`istioctl x remote-clusters`: synced, syncing, timeout). */
const STATUS: Readonly<Record<string, string>> = { synced: 'synced', syncing: 'syncing', unreachable: 'unreachable' };

/** `meshpilot remote-clusters`: every member kube cluster meshpilot reads, as `istioctl x remote-clusters`. */
export async function runRemoteClusters(
  adminUrl: string,
  out: { write(text: string): void },
  format: OutputFormat = 'short',
): Promise<number> {
  const entries = (await getAdminJson(adminUrl, '/debug/clusterz')) as KubeClusterEntry[];
  if (writeStructured(out, format, entries)) return 0;
  const rows = [...entries]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((e) => [
      e.name,
      e.source,
      e.network || '-',
      STATUS[e.state] ?? e.state,
      e.syncedAt ?? '-',
      (e.lastError ?? '').split('\n')[0] || '-',
    ]);
  out.write(formatTable(['NAME', 'SOURCE', 'NETWORK', 'STATUS', 'SYNCED AT', 'LAST ERROR'], rows));
  return 0;
}
