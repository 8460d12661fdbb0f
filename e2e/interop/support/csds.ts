import { existsSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { findProtoPaths } from '../../../protos/load.ts';
import { decodeMessage } from '../../../protos/any.ts';

/**
 * A client's own CSDS dump (envoy.service.status.v3.ClientStatusResponse, as its CSDS service answers
 * FetchClientStatus), decoded into one entry per xDS resource (generic_xds_configs).
 */
export interface CsdsResource {
  readonly typeUrl: string;
  readonly name: string;
  readonly version: string;
  readonly status: string;
  /** The resource, decoded as /debug/config_dump decodes it (JSON-normalised). */
  readonly object: Record<string, unknown> | undefined;
}

let responseType: protobuf.Type | undefined;

function clientStatusResponse(): protobuf.Type {
  if (responseType) return responseType;
  const { includeDirs } = findProtoPaths();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => includeDirs.map((dir) => join(dir, target)).find(existsSync) ?? target;
  root.loadSync('envoy/service/status/v3/csds.proto', { keepCase: true });
  responseType = root.lookupType('envoy.service.status.v3.ClientStatusResponse');
  return responseType;
}

interface GenericXdsConfig {
  type_url?: string;
  name?: string;
  version_info?: string;
  client_status?: string;
  xds_config?: { type_url?: string; value?: Uint8Array };
}

const TYPE_PREFIX = 'type.googleapis.com/';

function typeUrlOf(name: string): string {
  return name.startsWith(TYPE_PREFIX) ? name : `${TYPE_PREFIX}${name}`;
}

export function decodeCsds(bytes: Buffer): CsdsResource[] {
  const type = clientStatusResponse();
  const response = type.toObject(type.decode(bytes), { enums: String, longs: String, defaults: false }) as {
    config?: { generic_xds_configs?: GenericXdsConfig[] }[];
  };
  return (response.config ?? []).flatMap((config) =>
    (config.generic_xds_configs ?? []).map((c) => {
      // GenericXdsConfig.type_url is documented as the resource type's fully qualified name: grpc-js-xds writes
      // it bare (envoy.config.cluster.v3.Cluster), the other clients as a type URL; both are normalised here.
      const typeUrl = c.xds_config?.type_url ?? typeUrlOf(c.type_url ?? '');
      const value = c.xds_config?.value;
      return {
        typeUrl,
        name: c.name ?? '',
        version: c.version_info ?? '',
        status: c.client_status ?? 'UNKNOWN',
        object:
          value && value.length > 0
            ? (JSON.parse(JSON.stringify({ '@type': typeUrl, ...decodeMessage(typeUrl, value) })) as Record<
                string,
                unknown
              >)
            : undefined,
      };
    }),
  );
}
