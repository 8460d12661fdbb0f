import { startGreeter, type GreeterServer } from '../../support/helloworld.ts';
import { startInteropMesh } from '../support/interop-mesh.ts';
import { until, type Scenario } from '../support/scenario.ts';
import { expectNoFailures, onlyPeer } from '../support/rpc-checks.ts';

const LOCAL = ['127.0.13.1', '127.0.13.2'];
const REMOTE = '127.0.13.3';
const TARGET = 'xds:///helloworld.default.svc.cluster.local:5000';
const LOCALITY = { region: 'region-1', zone: 'zone-a' };

/** Outlier detection turns on locality priorities (Istio's rule); the route keeps Istio's default retry policy. */
const ISTIO_CONFIG = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: default}
spec:
  host: helloworld
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
`;

/**
 * Locality failover: the client (zone-a) is served by its zone's two backends (priority 0) only; both die under
 * load and the client fails over to zone-b's backend (priority 1) with 0 failed RPCs — the route's retry policy
 * (retry_on unavailable) covers the RPCs the dying backends cut.
 */
export const localityFailover: Scenario = {
  name: 'locality failover when the local backends die (0 failed RPCs, retries on)',
  async setup() {
    const remote = await startGreeter(REMOTE);
    const port = remote.port;
    const mesh = await startInteropMesh('failover', {
      nodes: [
        { name: 'node-a', region: 'region-1', zone: 'zone-a' },
        { name: 'node-b', region: 'region-1', zone: 'zone-b' },
      ],
      services: [
        {
          name: 'helloworld',
          port: 5000,
          targetPort: port,
          endpoints: [...LOCAL.map((ip) => ({ ip, node: 'node-a' })), { ip: REMOTE, node: 'node-b' }],
        },
      ],
      istio: ISTIO_CONFIG,
    });
    let local: GreeterServer[] = [];
    return {
      async cell(client, version) {
        local = await Promise.all(LOCAL.map((ip) => startGreeter(ip, port)));
        const started = await mesh.startClient(client, { target: TARGET }, { ip: '127.0.13.9', locality: LOCALITY });
        version(started.version);
        const rpcs = started.process;
        try {
          await until(
            async () => {
              const result = await rpcs.rpcs({ count: 10, deadlineMs: 10_000 });
              return result.failures === 0 && Object.keys(result.byPeer).every((peer) => LOCAL.includes(peer));
            },
            'the client served by its own zone only',
            30_000,
          );
          const load = rpcs.rpcs({ count: 300, intervalMs: 10 });
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          await Promise.all(local.map((server) => server.kill()));
          const result = await load;
          expectNoFailures(result, 'while the local backends died');
          if (!result.byPeer[REMOTE])
            throw new Error(`never failed over to ${REMOTE}: ${JSON.stringify(result.byPeer)}`);
          const after = await rpcs.rpcs({ count: 10 });
          if (!onlyPeer(after, REMOTE)) throw new Error(`after the failover: ${JSON.stringify(after)}`);
        } finally {
          await rpcs.stop();
          await Promise.all(local.map((server) => server.kill()));
        }
      },
      async stop() {
        await mesh.stop();
        await remote.stop();
      },
    };
  },
};
