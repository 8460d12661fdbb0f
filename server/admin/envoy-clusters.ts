import { decodeMessage, type ProtoObject } from '../../protos/any.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import type { XdsConnection } from '../xds/connection.ts';

/**
 * What Envoy's admin `/clusters?format=json` (envoy.admin.v3.Clusters) would list for a proxy that
 * applied what meshpilot sent it: every Envoy cluster sent over CDS, with the hosts of its EDS
 * assignment (or its inline load_assignment) and their EDS health and weight. No statistics: meshpilot
 * sees no traffic. `istioctl proxy-config endpoint` reads this shape.
 */
export function envoyClusters(connection: XdsConnection): ProtoObject {
  const sent = (typeUrl: string): ProtoObject[] =>
    connection
      .typeStates()
      .filter((state) => state.typeUrl === typeUrl)
      .flatMap((state) => [...state.sent.values()])
      .map((resource) => decodeMessage(resource.typeUrl, resource.valueBytes));
  const assignments = new Map(sent(ENDPOINT_TYPE).map((cla) => [String(cla['cluster_name']), cla]));
  const cluster_statuses = sent(CLUSTER_TYPE)
    .map((cluster) => {
      const name = String(cluster['name']);
      const assignment = assignments.get(name) ?? (cluster['load_assignment'] as ProtoObject | undefined);
      return { name, added_via_api: true, host_statuses: hostStatuses(assignment) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { cluster_statuses };
}

interface LocalityGroup {
  locality?: ProtoObject;
  priority?: number;
  lb_endpoints?: {
    endpoint?: { address?: ProtoObject };
    health_status?: string;
    load_balancing_weight?: { value?: number };
  }[];
}

function hostStatuses(assignment: ProtoObject | undefined): ProtoObject[] {
  const groups = (assignment?.['endpoints'] as LocalityGroup[] | undefined) ?? [];
  return groups.flatMap((group) =>
    (group.lb_endpoints ?? []).map((lb) => ({
      ...(lb.endpoint?.address !== undefined ? { address: lb.endpoint.address } : {}),
      health_status: { eds_health_status: lb.health_status ?? 'HEALTHY' },
      weight: lb.load_balancing_weight?.value ?? 1,
      ...(group.locality !== undefined ? { locality: group.locality } : {}),
      ...(group.priority !== undefined ? { priority: group.priority } : {}),
    })),
  );
}
