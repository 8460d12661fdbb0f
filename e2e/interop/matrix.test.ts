import { afterAll, beforeAll, describe, it } from 'vitest';
import { CLIENTS } from './support/clients.ts';
import { MatrixReport } from './support/matrix-report.ts';
import type { ScenarioRun } from './support/scenario.ts';
import { plainRpc } from './scenarios/plain-rpc.ts';
import { endpointMove } from './scenarios/endpoint-move.ts';
import { headerMatch, weightedSplit } from './scenarios/traffic-routing.ts';
import { localityFailover } from './scenarios/locality-failover.ts';
import { mtls } from './scenarios/mtls.ts';
import { rbac } from './scenarios/rbac.ts';
import { xdsServers } from './scenarios/xds-servers.ts';
import { csdsMatchesConfigDump, deltaAds } from './scenarios/xds-protocol.ts';

/**
 * The gRPC xDS interop matrix (issue 19): every scenario against every client — grpc-go, grpc-java, the C-core
 * through grpc-python (interop/<client>/, built by `npm run harnesses`) and @grpc/grpc-js-xds — configured by
 * meshpilot. The outcome table goes to .cache/interop/matrix.{json,md}.
 */
const SCENARIOS = [
  plainRpc,
  endpointMove,
  weightedSplit,
  headerMatch,
  localityFailover,
  rbac,
  mtls,
  xdsServers,
  deltaAds,
  csdsMatchesConfigDump,
];

const report = new MatrixReport();

afterAll(() => {
  report.write(CLIENTS);
});

for (const scenario of SCENARIOS) {
  describe(scenario.name, () => {
    let run: ScenarioRun | undefined;
    beforeAll(async () => {
      run = await scenario.setup();
    }, 120_000);
    afterAll(async () => {
      await run?.stop();
    });
    for (const client of CLIENTS) {
      it(
        client,
        async () => {
          if (!run) throw new Error(`${scenario.name}: setup failed`);
          await report.run(scenario.name, client, () =>
            run!.cell(client, (version) => report.version(client, version)),
          );
        },
        150_000,
      );
    }
  });
}
