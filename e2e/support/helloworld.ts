import * as grpc from '@grpc/grpc-js';

/** A tiny greeter service (JSON on the wire) run on loopback addresses standing for pods. */

export interface HelloReply {
  readonly message: string;
  readonly server: string;
}

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8')),
};

export const GREETER_SERVICE: grpc.ServiceDefinition = {
  SayHello: {
    path: '/helloworld.Greeter/SayHello',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

export interface GreeterServer {
  readonly address: string;
  readonly port: number;
  readonly calls: () => number;
  /** While failing, every call fails with INTERNAL (a status the default retry policy does not retry). */
  setFailing(failing: boolean): void;
  /** Graceful: in-flight calls finish. */
  stop(): Promise<void>;
  /** A dying process: every connection and call is cut at once. */
  kill(): Promise<void>;
}

export async function startGreeter(host: string, port = 0): Promise<GreeterServer> {
  const server = new grpc.Server();
  let calls = 0;
  let failing = false;
  server.addService(GREETER_SERVICE, {
    SayHello: (call: grpc.ServerUnaryCall<{ name?: string }, HelloReply>, callback: grpc.sendUnaryData<HelloReply>) => {
      calls += 1;
      if (failing) callback({ code: grpc.status.INTERNAL, details: `${host} is failing` });
      else callback(null, { message: `hello ${call.request.name ?? ''}`, server: host });
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return {
    address: host,
    port: bound,
    calls: () => calls,
    setFailing: (f) => (failing = f),
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
    kill: async () => server.forceShutdown(),
  };
}

export const GreeterClient = grpc.makeGenericClientConstructor(GREETER_SERVICE, 'Greeter');

export function sayHello(client: grpc.Client, name: string, deadlineMs = 5_000): Promise<HelloReply> {
  return new Promise((resolve, reject) => {
    const method = (
      client as unknown as Record<
        string,
        (req: unknown, opts: grpc.CallOptions, cb: grpc.requestCallback<HelloReply>) => void
      >
    ).SayHello!;
    method.call(client, { name }, { deadline: Date.now() + deadlineMs }, (error, reply) =>
      error || !reply ? reject(error ?? new Error('empty reply')) : resolve(reply),
    );
  });
}

/**
 * The servers of the first `count` calls that succeed; failed calls (e.g. before xDS arrives) are skipped.
 * Bounded: 400 calls, 20 s.
 */
export async function replyingServers(
  client: grpc.Client,
  name: string,
  count: number,
  callDeadlineMs = 2_000,
): Promise<string[]> {
  const servers: string[] = [];
  const deadline = Date.now() + 20_000;
  for (let i = 0; i < 400 && Date.now() < deadline && servers.length < count; i += 1) {
    const reply = await sayHello(client, name, callDeadlineMs).catch(() => undefined);
    if (reply) servers.push(reply.server);
  }
  return servers;
}

export interface XdsBootstrapOptions {
  /** Needed by an XdsServer: the Listener name it asks for, `%s` = the bound `ip:port` (Istio's: `xds.istio.io/grpc/lds/inbound/%s`). */
  readonly serverListenerResourceNameTemplate?: string;
}

/** The bootstrap a proxyless gRPC client (or XdsServer) of meshpilot uses (what `meshpilot agent` will write). */
export function xdsBootstrap(
  xdsAddress: string,
  nodeId: string,
  metadata: Record<string, string>,
  locality?: { region?: string; zone?: string; sub_zone?: string },
  options: XdsBootstrapOptions = {},
): string {
  return JSON.stringify({
    xds_servers: [{ server_uri: xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: nodeId, metadata: { GENERATOR: 'grpc', ...metadata }, locality: locality ?? {} },
    ...(options.serverListenerResourceNameTemplate
      ? { server_listener_resource_name_template: options.serverListenerResourceNameTemplate }
      : {}),
  });
}

export const XDS_BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';

/** A grpc-js-xds greeter client of `target` (xds:///…) configured by `bootstrap` (plaintext unless `credentials`). */
export function xdsGreeterClient(
  target: string,
  bootstrap: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): grpc.Client {
  return new GreeterClient(target, credentials, { [XDS_BOOTSTRAP_OPTION]: bootstrap });
}
