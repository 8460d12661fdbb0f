import { startGreeter, type GreeterServer } from '../../support/helloworld.ts';
import { startInteropMesh, type InteropMesh } from '../support/interop-mesh.ts';
import { until, type Scenario } from '../support/scenario.ts';
import { expectNoFailures, onlyPeer, share } from '../support/rpc-checks.ts';
import type { ClientName } from '../support/clients.ts';
import type { ClientProcess } from '../support/client-process.ts';

const V1 = '127.0.12.1';
const V2 = '127.0.12.2';
const TARGET = 'xds:///helloworld.default.svc.cluster.local:5000';
const CANARY = { 'x-canary': 'true' };

const ISTIO_CONFIG = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: default}
spec:
  host: helloworld
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: helloworld, namespace: default}
spec:
  hosts: [helloworld]
  http:
  - name: canary
    match:
    - headers: {x-canary: {exact: "true"}}
    route:
    - destination: {host: helloworld, subset: v2}
  - name: split
    route:
    - {destination: {host: helloworld, subset: v1}, weight: 90}
    - {destination: {host: helloworld, subset: v2}, weight: 10}
`;

/** One mesh with subsets v1/v2, a header route and a 90/10 split (a VirtualService and a DestinationRule). */
function routingScenario(name: string, check: (rpcs: ClientProcess, v1: GreeterServer) => Promise<void>): Scenario {
  return {
    name,
    async setup() {
      const v1 = await startGreeter(V1);
      const v2 = await startGreeter(V2, v1.port);
      const mesh: InteropMesh = await startInteropMesh('routing', {
        services: [
          {
            name: 'helloworld',
            port: 5000,
            targetPort: v1.port,
            endpoints: [
              { ip: V1, labels: { version: 'v1' } },
              { ip: V2, labels: { version: 'v2' } },
            ],
          },
        ],
        istio: ISTIO_CONFIG,
      });
      return {
        async cell(client: ClientName, version) {
          const started = await mesh.startClient(client, { target: TARGET }, { ip: '127.0.12.9' });
          version(started.version);
          try {
            // The route table is in place once the canary header reaches v2 (bounded wait).
            await until(
              async () => onlyPeer(await started.process.rpcs({ count: 5, deadlineMs: 10_000, metadata: CANARY }), V2),
              'the canary route',
              30_000,
            );
            await check(started.process, v1);
          } finally {
            await started.process.stop();
          }
        },
        async stop() {
          await mesh.stop();
          await Promise.all([v1.stop(), v2.stop()]);
        },
      };
    },
  };
}

/** weighted_clusters 90/10 between subsets: v2's share over 2,000 RPCs within ±3 points of 10 %. */
export const weightedSplit = routingScenario('weighted 90/10 split (2,000 RPCs, ±3 points)', async (rpcs) => {
  const result = await rpcs.rpcs({ count: 2_000 });
  expectNoFailures(result, 'the split');
  const v2Share = share(result, V2);
  if (Object.keys(result.byPeer).sort().join(',') !== [V1, V2].join(',') || v2Share < 7 || v2Share > 13)
    throw new Error(`v2 got ${v2Share.toFixed(1)} % (want 10 ± 3): ${JSON.stringify(result.byPeer)}`);
});

/** A header match: every RPC with x-canary: true goes to subset v2; v1 sees none of them. */
export const headerMatch = routingScenario('header match', async (rpcs, v1) => {
  const before = v1.calls();
  const result = await rpcs.rpcs({ count: 50, metadata: CANARY });
  if (!onlyPeer(result, V2) || result.byPeer[V2] !== 50) throw new Error(`x-canary RPCs: ${JSON.stringify(result)}`);
  if (v1.calls() !== before) throw new Error(`v1 served ${v1.calls() - before} canary RPCs`);
});
