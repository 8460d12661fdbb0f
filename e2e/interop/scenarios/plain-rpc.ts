import { startGreeter } from '../../support/helloworld.ts';
import { startInteropMesh } from '../support/interop-mesh.ts';
import type { Scenario } from '../support/scenario.ts';

const BACKEND = '127.0.10.1';
const TARGET = 'xds:///helloworld.default.svc.cluster.local:5000';

/** A plain RPC: the client resolves xds:///helloworld through meshpilot (LDS → RDS → CDS → EDS) and is served. */
export const plainRpc: Scenario = {
  name: 'plain RPC',
  async setup() {
    const backend = await startGreeter(BACKEND);
    const mesh = await startInteropMesh('plain', {
      services: [{ name: 'helloworld', port: 5000, targetPort: backend.port, endpoints: [{ ip: BACKEND }] }],
    });
    return {
      async cell(client, version) {
        const started = await mesh.startClient(client, { target: TARGET }, { ip: '127.0.10.9' });
        version(started.version);
        try {
          // The first RPC waits (within its deadline) for the client's xDS resources to arrive.
          const first = await started.process.rpcs({ count: 1, deadlineMs: 20_000 });
          const rest = await started.process.rpcs({ count: 20 });
          for (const result of [first, rest])
            if (result.failures > 0) throw new Error(`${result.failures} RPCs failed: ${result.errors.join('; ')}`);
          if (JSON.stringify(rest.byPeer) !== JSON.stringify({ [BACKEND]: 20 }))
            throw new Error(`expected all 20 RPCs served by ${BACKEND}, got ${JSON.stringify(rest.byPeer)}`);
        } finally {
          await started.process.stop();
        }
      },
      async stop() {
        await mesh.stop();
        await backend.stop();
      },
    };
  },
};
