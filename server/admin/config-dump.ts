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

/** What Envoy writes in place of a secret DataSource: the bytes of "[redacted]". */
const REDACTED = { inline_bytes: Buffer.from('[redacted]').toString('base64') };
/** Fields of an Envoy Secret that hold key material or passwords (TlsCertificate, GenericSecret). */
const SENSITIVE = new Set(['private_key', 'password', 'ocsp_staple', 'secret']);

/** A copy of a decoded Secret with every sensitive DataSource replaced, as Envoy's MessageUtil::redact. */
export function redacted(object: ProtoObject): ProtoObject {
  const out: ProtoObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (SENSITIVE.has(key) && typeof value === 'object' && value !== null) out[key] = REDACTED;
    else if (Array.isArray(value))
      out[key] = value.map((v: unknown) => (typeof v === 'object' && v !== null ? redacted(v as ProtoObject) : v));
    else if (typeof value === 'object' && value !== null) out[key] = redacted(value as ProtoObject);
    else out[key] = value;
  }
  return out;
}

/**
 * What a proxy was sent, as an Envoy-style admin ConfigDump (JSON). `timestamps: false` leaves out
 * last_updated (ISO strings here), for the protobuf encoding of istio.io/debug/config_dump.
 */
export function configDump(connection: XdsConnection, options: { timestamps?: boolean } = {}): ProtoObject {
  const configs: ProtoObject[] = [];
  for (const state of connection.typeStates()) {
    const version_info = state.version ?? '';
    const last_updated = options.timestamps === false ? undefined : state.sentAt;
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
        // As Envoy's /config_dump: certificates are shown, private keys redacted (key material stays out of debug output).
        configs.push({
          '@type': `${ADMIN}SecretsConfigDump`,
          dynamic_active_secrets: items.map((i) => ({
            name: i.name,
            version_info,
            last_updated,
            secret: redacted(i.object),
          })),
        });
        break;
      default:
        break;
    }
  }
  return { configs };
}
