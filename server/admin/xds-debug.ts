import { status } from '@grpc/grpc-js';
import { encodeMessage, type ProtoObject } from '../../protos/any.ts';
import { TYPE_PREFIX } from '../../protos/type-urls.ts';
import type { MeshXdsConnection } from '../cache/mesh-xds-service.ts';
import type { DebugAnswer, DebugRequest, DebugResource, DebugResponder } from '../xds/debug-types.ts';
import type { TypeState } from '../xds/type-state.ts';
import { configDump } from './config-dump.ts';

/**
 * Istio's debug types over ADS, answered as istiod's StatusGen (pilot/pkg/xds/statusgen.go):
 * `istio.io/debug/syncz` lists each connected proxy as an envoy.service.status.v3.ClientConfig (node id,
 * CLUSTER_ID/NAMESPACE/ISTIO_VERSION metadata, per-type status); `istio.io/debug/config_dump` with one
 * resource name (`<pod>.<namespace>` or any part of a proxy id) gives that proxy's config dump sections.
 * Authorization as istiod's ENABLE_DEBUG_ENDPOINT_AUTH: callers must have proved an identity on the
 * TLS port; those of the system namespace see every proxy, others only the proxies of their namespace.
 */
export const SYNCZ_TYPE = 'istio.io/debug/syncz';
export const CONFIG_DUMP_TYPE = 'istio.io/debug/config_dump';
const CLIENT_CONFIG = `${TYPE_PREFIX}envoy.service.status.v3.ClientConfig`;
/** Istio's constants.IstioSystemNamespace (the mesh's default root namespace). */
const SYSTEM_NAMESPACE = 'istio-system';

export interface XdsDebugOptions {
  readonly connected: () => readonly MeshXdsConnection[];
  /** xdsServer.debugEndpointAuth (istiod's ENABLE_DEBUG_ENDPOINT_AUTH): false answers anyone, plaintext included. */
  readonly debugEndpointAuth: boolean;
  /** This instance (the control_plane identifier meshpilot sends, e.g. meshpilot@host). */
  readonly instance: string;
  readonly version: string;
}

export function meshDebugResponder(options: XdsDebugOptions): DebugResponder {
  // istiod's IstioControlPlaneInstance, which istioctl parses for its ISTIOD column.
  const identifier = JSON.stringify({
    Component: 'meshpilot',
    ID: options.instance,
    Info: { version: options.version, revision: 'unknown', golang_version: '', status: 'Clean', tag: options.version },
  });
  return {
    controlPlane: { identifier },
    answer(request: DebugRequest): DebugAnswer {
      let callerNamespace: string | undefined;
      if (options.debugEndpointAuth) {
        if (request.authenticated === undefined)
          return {
            ok: false,
            code: status.UNAUTHENTICATED,
            message:
              'MESHPILOT_ERR_UNAUTHENTICATED: authentication required: debug types are answered on the TLS xDS port to an authenticated caller (xdsServer.debugEndpointAuth)',
          };
        if (request.authenticated.namespace !== SYSTEM_NAMESPACE) callerNamespace = request.authenticated.namespace;
      }
      const visible = options
        .connected()
        .filter(
          (c) => c.proxy !== undefined && (callerNamespace === undefined || c.proxy.view.namespace === callerNamespace),
        );
      switch (request.typeUrl) {
        case SYNCZ_TYPE:
          return { ok: true, resources: visible.map(clientConfig) };
        case CONFIG_DUMP_TYPE:
          return { ok: true, resources: dumpOf(visible, request.names) };
        default:
          // As istiod: a debug type it does not know is answered empty.
          return { ok: true, resources: [] };
      }
    },
  };
}

/** istiod's debugSyncStatus: ERROR after a NACK of the latest response, NOT_SENT, SYNCED or STALE. */
function configStatus(state: TypeState): string {
  if (state.lastNack !== undefined && state.lastNack.nonce === state.nonce) return 'ERROR';
  if (state.nonce === undefined) return 'NOT_SENT';
  return state.version === state.ackedVersion ? 'SYNCED' : 'STALE';
}

function timestamp(iso: string | undefined): ProtoObject | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function stringValue(value: string | undefined): ProtoObject {
  return { stringValue: value ?? '' };
}

function clientConfig(connection: MeshXdsConnection): DebugResource {
  const proxy = connection.proxy!;
  const configs = connection
    .typeStates()
    .map((state) => {
      const lastUpdated = timestamp(state.sentAt);
      return {
        type_url: state.typeUrl,
        config_status: configStatus(state),
        ...(lastUpdated !== undefined ? { last_updated: lastUpdated } : {}),
        ...(state.lastNack !== undefined && configStatus(state) === 'ERROR'
          ? { error_state: { last_update_attempt: timestamp(state.lastNack.at), details: state.lastNack.message } }
          : {}),
      };
    })
    .sort((a, b) => a.type_url.localeCompare(b.type_url));
  const object = {
    node: {
      id: proxy.id,
      metadata: {
        fields: {
          CLUSTER_ID: stringValue(proxy.view.kubeCluster),
          NAMESPACE: stringValue(proxy.view.namespace),
          ISTIO_VERSION: stringValue(proxy.istioVersion),
        },
      },
    },
    generic_xds_configs: configs,
  };
  return { typeUrl: CLIENT_CONFIG, value: encodeMessage(CLIENT_CONFIG, object) };
}

/** istiod's debugConfigDump: exactly one name, matched as part of a proxy id; else nothing. */
function dumpOf(connections: readonly MeshXdsConnection[], names: readonly string[]): DebugResource[] {
  if (names.length !== 1) return [];
  const name = names[0]!;
  const connection = connections.find((c) => c.proxy!.id.includes(name));
  if (connection === undefined) return [];
  const { configs } = configDump(connection, { timestamps: false });
  return (configs as ProtoObject[]).map((section) => {
    const { '@type': typeUrl, ...fields } = section;
    const url = String(typeUrl);
    return { typeUrl: url, value: encodeMessage(url, fields) };
  });
}
