import { getAdminJson } from './admin-client.ts';
import { writeStructured, type OutputFormat } from './output.ts';
import { resolveProxyName } from './proxy-name.ts';
import { formatTable } from './table.ts';
import type { EndpointExplanation } from '../translators/eds-explain.ts';
import type { OptInEffect } from '../translators/opt-in-explain.ts';

/** One gateway hostname as /debug/explain lists it (server/gateway-dns GatewayNameState). */
interface GatewayHostnameState {
  readonly hostname: string;
  readonly addresses: readonly string[];
  readonly state: string;
  readonly ttlSeconds?: number;
  readonly nextResolveAt?: string;
  readonly lastError?: string;
}

/** `meshpilot explain`: why each endpoint of a service has the address and priority a proxy sees. */
export async function runExplain(
  adminUrl: string,
  proxyName: string,
  service: string,
  out: { write(text: string): void },
  format: OutputFormat = 'short',
): Promise<number> {
  const id = await resolveProxyName(adminUrl, proxyName);
  const query = `proxyID=${encodeURIComponent(id)}&service=${encodeURIComponent(service)}`;
  const result = (await getAdminJson(adminUrl, `/debug/explain?${query}`)) as {
    service: string;
    view: { network: string; locality: { region: string; zone: string; subZone: string } };
    endpoints: EndpointExplanation[];
    gatewayHostnames?: GatewayHostnameState[];
    optIns?: OptInEffect[];
  };
  if (writeStructured(out, format, result)) return 0;
  const locality =
    [result.view.locality.region, result.view.locality.zone, result.view.locality.subZone]
      .filter((p) => p !== '')
      .join('/') || '(none)';
  out.write(
    `service ${result.service} as seen by ${id} (network ${result.view.network || '(none)'}, locality ${locality})\n`,
  );
  const rows = result.endpoints.map((e) => [
    e.workload,
    e.kubeCluster,
    e.network,
    e.locality,
    e.outcome,
    e.sentAs.join(',') || '-',
    e.priority === undefined ? '-' : String(e.priority),
    e.reason,
  ]);
  out.write(
    formatTable(['WORKLOAD', 'KUBE CLUSTER', 'NETWORK', 'LOCALITY', 'OUTCOME', 'SENT AS', 'PRIORITY', 'WHY'], rows),
  );
  const names = result.gatewayHostnames ?? [];
  if (names.length > 0) {
    out.write('\neast-west gateway hostnames (a gateway exists once its name resolves):\n');
    out.write(
      formatTable(
        ['HOSTNAME', 'STATE', 'ADDRESSES', 'TTL', 'NEXT RESOLUTION', 'LAST ERROR'],
        names.map((n) => [
          n.hostname,
          n.state,
          n.addresses.join(',') || '-',
          n.ttlSeconds === undefined ? '-' : `${n.ttlSeconds}s`,
          n.nextResolveAt ?? '-',
          n.lastError ?? '-',
        ]),
      ),
    );
  }
  const optIns = result.optIns ?? [];
  if (optIns.length > 0) {
    out.write("\nopt-ins that make this proxy's clusters differ from Istio's (meshpilot.yaml optIn:):\n");
    out.write(
      formatTable(
        ['OPT-IN', 'CLUSTER', 'EFFECT'],
        optIns.map((o) => [o.key, o.cluster, o.effect]),
      ),
    );
  }
  return 0;
}
