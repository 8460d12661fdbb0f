import { decodeMessage, type ProtoObject } from '../../protos/any.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../protos/type-urls.ts';
import type { XdsConnection } from '../xds/connection.ts';
import type { TypeState } from '../xds/type-state.ts';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

function decoded(state: TypeState): { name: string; object: ProtoObject }[] {
  return [...state.sent.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((resource) => ({
      name: resource.name,
      object: { '@type': resource.typeUrl, ...decodeMessage(resource.typeUrl, resource.valueBytes) },
    }));
}

/** What a proxy was sent, as an Envoy-style admin ConfigDump (JSON). */
export function configDump(connection: XdsConnection): ProtoObject {
  const configs: ProtoObject[] = [];
  for (const state of connection.typeStates()) {
    const version_info = state.version ?? '';
    const last_updated = state.sentAt;
    const items = decoded(state);
    switch (state.typeUrl) {
      case CLUSTER_TYPE:
        configs.push({
          '@type': `${ADMIN}ClustersConfigDump`,
          dynamic_active_clusters: items.map((i) => ({ version_info, cluster: i.object, last_updated })),
        });
        break;
      case ENDPOINT_TYPE:
        configs.push({
          '@type': `${ADMIN}EndpointsConfigDump`,
          dynamic_endpoint_configs: items.map((i) => ({ version_info, endpoint_config: i.object, last_updated })),
        });
        break;
      case LISTENER_TYPE:
        configs.push({
          '@type': `${ADMIN}ListenersConfigDump`,
          dynamic_listeners: items.map((i) => ({
            name: i.name,
            active_state: { version_info, listener: i.object, last_updated },
          })),
        });
        break;
      case ROUTE_TYPE:
        configs.push({
          '@type': `${ADMIN}RoutesConfigDump`,
          dynamic_route_configs: items.map((i) => ({ version_info, route_config: i.object, last_updated })),
        });
        break;
      case SECRET_TYPE:
        // Secrets are named, never dumped: key material stays out of debug output.
        configs.push({
          '@type': `${ADMIN}SecretsConfigDump`,
          dynamic_active_secrets: items.map((i) => ({ name: i.name, version_info, last_updated })),
        });
        break;
      default:
        break;
    }
  }
  return { configs };
}
