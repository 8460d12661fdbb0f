import { isDeepStrictEqual } from 'node:util';
import { startGreeter } from '../../support/helloworld.ts';
import { startInteropMesh } from '../support/interop-mesh.ts';
import { until, type Scenario, type ScenarioRun } from '../support/scenario.ts';
import { expectNoFailures } from '../support/rpc-checks.ts';
import { configDump, synced, syncz } from '../support/debug-endpoints.ts';
import { decodeCsds } from '../support/csds.ts';
import type { ClientName } from '../support/clients.ts';
import type { ClientProcess } from '../support/client-process.ts';

const BACKEND = '127.0.16.1';
const CLIENT_IP = '127.0.16.9';
const TARGET = 'xds:///helloworld.default.svc.cluster.local:5000';

/**
 * gRPC's xDS feature list (grpc_xds_features.md in grpc/grpc, and grpc-js-xds's README) has no incremental
 * (Delta) xDS for any of the four implementations: each speaks State-of-the-World ADS only.
 */
const SOTW_ONLY = 'SotW ADS only: incremental (Delta) xDS is not in gRPC’s xDS feature list';

function proxyId(client: ClientName): string {
  return `sidecar~${CLIENT_IP}~${client}-client.default~default.svc.cluster.local`;
}

/** A plain mesh; each cell starts the client, makes RPCs, waits until meshpilot sees every type ACKed, then checks. */
function protocolScenario(
  name: string,
  check: (client: ClientName, rpcs: ClientProcess, adminUrl: string) => Promise<void | { notSupported: string }>,
): Scenario {
  return {
    name,
    async setup(): Promise<ScenarioRun> {
      const backend = await startGreeter(BACKEND);
      const mesh = await startInteropMesh('protocol', {
        services: [{ name: 'helloworld', port: 5000, targetPort: backend.port, endpoints: [{ ip: BACKEND }] }],
      });
      return {
        async cell(client, version) {
          const started = await mesh.startClient(client, { target: TARGET }, { ip: CLIENT_IP });
          version(started.version);
          try {
            expectNoFailures(await started.process.rpcs({ count: 3, deadlineMs: 20_000 }), 'RPCs');
            await until(() => synced(mesh.meshpilot.adminUrl, proxyId(client)), 'every type ACKed', 20_000);
            return await check(client, started.process, mesh.meshpilot.adminUrl);
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
}

/**
 * Delta ADS where the client speaks it: a Delta stream must end SYNCED (checked above). A client on a SotW stream
 * is "not supported" — observed, and backed by its documented feature set; it flips to a test when one gains Delta.
 */
export const deltaAds = protocolScenario('Delta ADS where the client speaks it', async (client, _rpcs, adminUrl) => {
  const [stream] = await syncz(adminUrl, proxyId(client));
  if (stream?.kind === 'delta') return;
  if (stream?.kind === 'sotw') return { notSupported: SOTW_ONLY };
  throw new Error(`no stream for ${proxyId(client)} in /debug/syncz`);
});

/**
 * The client's own CSDS dump matches /debug/config_dump: the same (type, name) set, every resource ACKED, at the
 * version meshpilot sent, with the same content.
 */
export const csdsMatchesConfigDump = protocolScenario(
  'CSDS dump matches /debug/config_dump',
  async (client, rpcs, adminUrl) => {
    const own = decodeCsds(await rpcs.csds());
    const sent = await configDump(adminUrl, proxyId(client));
    const key = (r: { typeUrl: string; name: string }) => `${r.typeUrl} ${r.name}`;
    const ownKeys = own.map(key).sort();
    const sentKeys = sent.map(key).sort();
    if (!isDeepStrictEqual(ownKeys, sentKeys))
      throw new Error(`CSDS lists ${JSON.stringify(ownKeys)}, config_dump ${JSON.stringify(sentKeys)}`);
    for (const resource of own) {
      const match = sent.find((s) => key(s) === key(resource))!;
      if (resource.status !== 'ACKED') throw new Error(`${key(resource)}: client status ${resource.status}`);
      if (resource.version !== match.version)
        throw new Error(`${key(resource)}: CSDS version ${resource.version}, meshpilot sent ${match.version}`);
      if (!isDeepStrictEqual(resource.object, match.object))
        throw new Error(
          `${key(resource)}: content differs:\nCSDS ${JSON.stringify(resource.object)}\nsent ${JSON.stringify(match.object)}`,
        );
    }
  },
);
