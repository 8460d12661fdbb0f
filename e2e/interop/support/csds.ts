import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
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

const FETCH_CLIENT_STATUS = '/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus';

/**
 * This process's grpc-js-xds CSDS service, served by grpc-js's admin services on a loopback port, and a client
 * of it (for fetchClientStatus). Close the client and shut the server down when done.
 */
export async function startCsds(): Promise<{ client: grpc.Client; server: grpc.Server }> {
  const server = new grpc.Server();
  grpc.addAdminServicesToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return { client: new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()), server };
}

/** The ClientStatusResponse bytes a CSDS service answers FetchClientStatus with (10 s deadline); see decodeCsds. */
export function fetchClientStatus(client: grpc.Client): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest<Buffer, Buffer>(
      FETCH_CLIENT_STATUS,
      (value) => value,
      (value) => value,
      Buffer.alloc(0),
      { deadline: Date.now() + 10_000 },
      (error, reply) => (error || !reply ? reject(error ?? new Error('empty CSDS reply')) : resolve(reply)),
    ),
  );
}
