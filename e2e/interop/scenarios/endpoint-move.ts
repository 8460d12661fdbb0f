import { startGreeter } from '../../support/helloworld.ts';
import type { FixtureService } from '../../support/mesh-fixture.ts';
import { startInteropMesh } from '../support/interop-mesh.ts';
import { until, type Scenario } from '../support/scenario.ts';
import { onlyPeer } from '../support/rpc-checks.ts';

const OLD = '127.0.11.1';
const NEW = '127.0.11.2';
const TARGET = 'xds:///helloworld.default.svc.cluster.local:5000';

/**
 * An endpoint moved in the manifests: the EndpointSlice's address changes from OLD to NEW in the kube cluster's
 * manifest folder; the running client follows (a new EDS push) without a restart, and OLD gets no more RPCs.
 */
export const endpointMove: Scenario = {
  name: 'endpoint moved in the manifests',
  async setup() {
    const old = await startGreeter(OLD);
    const moved = await startGreeter(NEW, old.port);
    const service = (ip: string): FixtureService[] => [
      { name: 'helloworld', port: 5000, targetPort: old.port, endpoints: [{ ip }] },
    ];
    const mesh = await startInteropMesh('move', { services: service(OLD) });
    return {
      async cell(client, version) {
        await mesh.writeServices(service(OLD));
        const started = await mesh.startClient(client, { target: TARGET }, { ip: '127.0.11.9' });
        version(started.version);
        const rpcs = started.process;
        try {
          await until(async () => onlyPeer(await rpcs.rpcs({ count: 5, deadlineMs: 10_000 }), OLD), `${OLD}`, 30_000);
          await mesh.writeServices(service(NEW));
          await until(async () => onlyPeer(await rpcs.rpcs({ count: 5 }), NEW), `the move to ${NEW}`, 30_000);
          const before = old.calls();
          const after = await rpcs.rpcs({ count: 20 });
          if (!onlyPeer(after, NEW) || after.byPeer[NEW] !== 20)
            throw new Error(`after the move: ${JSON.stringify(after)}`);
          if (old.calls() !== before) throw new Error(`${OLD} still got ${old.calls() - before} RPCs after the move`);
        } finally {
          await rpcs.stop();
        }
      },
      async stop() {
        await mesh.stop();
        await Promise.all([old.stop(), moved.stop()]);
      },
    };
  },
};
