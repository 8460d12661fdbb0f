import { errorMessage } from '../../common/error-message.ts';
import type { MeshShape } from '../generate-mesh.ts';
import { PEER_NAME } from '../peer-process.ts';
import { failureOf, withTimeout, type BenchContext } from './context.ts';
import { failedRow, type ScenarioRow } from './result.ts';
import { record, startMeshpilotUnderTest, startPeerUnderTest } from './servers.ts';
import { metricValue } from '../prom-metrics.ts';
import { runStuckRounds, stuckRow, type StuckOutcome, type StuckPeer } from './stuck-rounds.ts';

/**
 * Scenario (e): streams that stop reading while service changes keep coming (each one a full CDS
 * push). A server that queues every push for them grows by (pushes × CDS size × stuck streams);
 * one that keeps only the latest state per stream stays flat. A healthy witness stream measures
 * how many bytes an unbounded queue would have had to hold.
 *
 * meshpilot first (a service port toggled in a manifest per change), then the go-control-plane peer
 * serving meshpilot's recorded responses to a fresh fleet (a new CDS snapshot version per change, as its
 * users hand one over). The bare grpc-js baseline is not run: it writes every push to every stream
 * (grpc-js buffers what flow control holds back), so it holds what the witness-based "unbounded queue"
 * figure computes, by design.
 */

export interface StuckReaderOptions {
  readonly shape: MeshShape;
  readonly stuckStreams: number;
  readonly changes: number;
  readonly intervalMs: number;
  readonly initialTimeoutMs: number;
}

/** Short debounce, so nearly every change becomes its own push to the witness. */
const STUCK_DEBOUNCE = { quietMs: 10, maxMs: 100 };

export const BASELINE_NOT_APPLICABLE =
  'baseline: not applicable (it writes every push to every stream and grpc-js buffers what flow control holds back: it cannot merge by design, so it would hold the "unbounded queue" figure)';

export async function runStuckReader(
  context: BenchContext,
  options: StuckReaderOptions,
  timeoutMs: number,
): Promise<ScenarioRow[]> {
  const base = {
    id: 'e/stuck',
    scenario: 'e' as const,
    title: `${options.stuckStreams} stuck readers while ${options.changes} service changes are pushed`,
    streams: options.stuckStreams + 1,
    services: options.shape.services,
    metric: 'server RSS growth',
    unit: 'MiB',
    target: 'bounded (≪ what an unbounded queue would hold)',
  };
  let meshpilot: StuckOutcome | undefined;
  let peer: StuckPeer | undefined;
  try {
    await withTimeout('stuck reader', timeoutMs, async (cleanup) => {
      const under = await startMeshpilotUnderTest(context, cleanup, 'stuck', options.shape, STUCK_DEBOUNCE);
      meshpilot = await runStuckRounds(
        context,
        cleanup,
        {
          kind: 'meshpilot',
          port: under.server.xdsPort,
          pid: under.server.pid,
          change: (i) => under.mesh.toggleServicePort(0, i % options.shape.services),
          blockedStreams: () => metricValue(under.server.adminUrl, 'meshpilot_xds_blocked_streams'),
        },
        options,
        () => record(under),
      );
      await under.server.stop();
      try {
        const gcp = await startPeerUnderTest(cleanup, under.recordingDir);
        const outcome = await runStuckRounds(
          context,
          cleanup,
          {
            kind: PEER_NAME,
            port: gcp.xdsPort,
            pid: gcp.pid,
            change: async () => {
              if ((await gcp.changeClusters()) < 0) throw new Error(`${PEER_NAME} peer did not take a change`);
            },
          },
          options,
        );
        peer = { name: PEER_NAME, ok: true, version: gcp.version, outcome };
        await gcp.stop();
      } catch (error: unknown) {
        peer = { name: PEER_NAME, ok: false, error: errorMessage(error) };
        context.log(`  ${PEER_NAME}: ${peer.error}`);
      }
    });
  } catch (error: unknown) {
    const { status, message } = failureOf(error);
    context.log(`  stuck reader: ${status}: ${message}`);
    if (!meshpilot) return [failedRow(base, status, message)];
  }
  peer ??= { name: PEER_NAME, ok: false, error: 'not run: the scenario ended before the peer' };
  return [stuckRow(base, options, meshpilot!, peer, { extraNote: BASELINE_NOT_APPLICABLE })];
}
