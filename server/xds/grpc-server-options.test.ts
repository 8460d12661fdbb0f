import { getChannelzHandlers, Server, ServerCredentials, status, type ChannelOptions } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { XDS_GRPC_SERVER_OPTIONS } from './grpc-server-options.ts';
import { listenGrpc } from './xds-server.ts';

/** Whether grpc-js's channelz registry knows the server (its connections and calls are tracked only if it does). */
async function channelzKnows(server: Server): Promise<boolean> {
  const getServer = getChannelzHandlers().GetServer as unknown as (
    call: { request: { server_id: string } },
    callback: (error: { code: number } | null) => void,
  ) => void;
  return new Promise((resolve, reject) => {
    getServer({ request: { server_id: String(server.getChannelzRef().id) } }, (error) => {
      if (error === null) resolve(true);
      else if (error.code === status.NOT_FOUND) resolve(false);
      else reject(new Error(`channelz answered ${error.code}`));
    });
  });
}

describe('grpc-js options of the ADS servers', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.forceShutdown();
  });
  const start = async (options: ChannelOptions): Promise<Server> => {
    const server = new Server(options);
    servers.push(server);
    await listenGrpc(server, '127.0.0.1:0', ServerCredentials.createInsecure());
    return server;
  };

  it('leave channelz off, so no connection or call of an xDS stream is tracked for it (heap per idle stream)', async () => {
    expect(await channelzKnows(await start({}))).toBe(true);
    expect(await channelzKnows(await start(XDS_GRPC_SERVER_OPTIONS))).toBe(false);
  });
});
