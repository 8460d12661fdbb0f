import type { Scenario } from '../support/scenario.ts';
import { until } from '../support/scenario.ts';
import { expectNoFailures } from '../support/rpc-checks.ts';
import { startXdsServersMesh, XDS_SERVERS_TARGET } from '../support/xds-servers-mesh.ts';

/**
 * xDS-enabled servers: grpc-go's and grpc-java's servers receive their inbound Listeners from meshpilot and serve
 * (setup fails unless both report SERVING); each client then reaches both through xds:///xds-servers.
 */
export const xdsServers: Scenario = {
  name: 'xDS-enabled servers (grpc-go, grpc-java) get their inbound Listener and serve',
  async setup() {
    const servers = await startXdsServersMesh('xds-servers');
    return {
      async cell(client, version) {
        const started = await servers.mesh.startClient(client, { target: XDS_SERVERS_TARGET }, { ip: '127.0.14.9' });
        version(started.version);
        try {
          // A new connection to each server is set up in the background; wait (bounded) until both answered.
          await until(
            async () => {
              const result = await started.process.rpcs({ count: 10, deadlineMs: 10_000 });
              return result.failures === 0 && Object.keys(result.byPeer).length === 2;
            },
            'RPCs served by both xDS servers',
            30_000,
          );
          const result = await started.process.rpcs({ count: 40 });
          expectNoFailures(result, 'RPCs to the xDS servers');
          const peers = Object.keys(result.byPeer).sort().join(',');
          if (peers !== 'grpc-go-server,grpc-java-server')
            throw new Error(`expected both xDS servers to serve, got ${JSON.stringify(result.byPeer)}`);
        } finally {
          await started.process.stop();
        }
      },
      stop: () => servers.stop(),
    };
  },
};
