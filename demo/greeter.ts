import * as grpc from '@grpc/grpc-js';

/** The demo's helloworld servers: `helloworld.Greeter/SayHello` (JSON on the wire), answering with their address. */

export interface HelloReply {
  readonly message: string;
  readonly server: string;
}

export const SAY_HELLO = '/helloworld.Greeter/SayHello';
export const encodeJson = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
export const decodeJson = (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8'));

export interface Greeter {
  readonly address: string;
  stop(): Promise<void>;
}

export async function startGreeter(host: string, port: number): Promise<Greeter> {
  const server = new grpc.Server();
  server.addService(
    {
      SayHello: {
        path: SAY_HELLO,
        requestStream: false,
        responseStream: false,
        requestSerialize: encodeJson,
        requestDeserialize: decodeJson,
        responseSerialize: encodeJson,
        responseDeserialize: decodeJson,
      },
    },
    {
      SayHello: (call: grpc.ServerUnaryCall<{ name?: string }, HelloReply>, done: grpc.sendUnaryData<HelloReply>) =>
        done(null, { message: `hello ${call.request.name ?? ''}`, server: `${host}:${port}` }),
    },
  );
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `${host}:${port}`,
    stop: () =>
      new Promise((resolve) => {
        // Graceful for a moment, then cut: Ctrl-C never waits on a client that keeps its connection.
        const timer = setTimeout(() => server.forceShutdown(), 1_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
