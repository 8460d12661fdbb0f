import { sleep, waitUntil } from '../clock.ts';
import type { MeshShape } from '../generate-mesh.ts';
import type { LoadFleet } from '../load-fleet.ts';
import { MIB, RssSampler } from '../proc-stats.ts';
import { failureOf, withTimeout, type BenchContext } from './context.ts';
import { failedRow, round, type ScenarioRow } from './result.ts';
import { connectFleet, settledRss, startMeshpilotUnderTest, type MeshpilotUnderTest } from './servers.ts';

/**
 * Scenario (e): streams that stop reading while service changes keep coming (each one a full CDS
 * push). A server that queues every push for them grows by (pushes × CDS size × stuck streams);
 * one that keeps only the latest state per stream stays flat. A healthy witness stream measures
 * how many bytes an unbounded queue would have had to hold.
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
const NOISE_FLOOR_MIB = 16;
/** HTTP/2's default window: a paused stream blocks the server after 64 KiB instead of after megabytes. */
const STUCK_WINDOW_BYTES = 65_535;
const MIN_REFERENCE_MIB = 64;

async function metricValue(adminUrl: string, name: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const values = text
      .split('\n')
      .filter((line) => line.startsWith(name))
      .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
    return values.length > 0 ? values.reduce((a, b) => a + b, 0) : null;
  } catch {
    return null;
  }
}

interface Phase {
  readonly before: number;
  readonly peak: number;
  readonly after: number;
  readonly growthMiB: number;
  readonly witnessMiB: number;
  readonly witnessPushes: number;
  readonly caughtUp: number;
  /** Mean responses a paused stream received once it read again (all of them if the server queued every push). */
  readonly responsesAfterResume: number | null;
  readonly blocked: number | null;
}

/** One round of changes; `paused` streams stop reading before it and read again after it. */
async function phase(
  under: MeshpilotUnderTest,
  fleet: LoadFleet,
  paused: readonly number[],
  options: StuckReaderOptions,
  offset: number,
): Promise<Phase> {
  if (paused.length > 0) await fleet.setPaused(paused, true);
  const before = await settledRss(under.server.pid);
  const [witnessBefore] = await fleet.streamInfo([0]);
  const sampler = new RssSampler(under.server.pid);
  for (let i = 0; i < options.changes; i += 1) {
    await under.mesh.toggleServicePort(0, (offset + i) % options.shape.services);
    await sampler.sample();
    await sleep(options.intervalMs);
  }
  await waitUntil(async () => (await fleet.streamInfo([0]))[0]?.bytesReceived !== witnessBefore?.bytesReceived, 5_000);
  await sleep(2_000);
  const after = await settledRss(under.server.pid);
  const blocked = await metricValue(under.server.adminUrl, 'meshpilot_xds_blocked_streams');
  const [witnessAfter] = await fleet.streamInfo([0]);
  const pausedBefore = await fleet.streamInfo(paused);
  if (paused.length > 0) await fleet.setPaused(paused, false);
  const caughtUp = async (): Promise<number> => {
    const infos = await fleet.streamInfo([0, ...paused]);
    const latest = infos[0]?.cdsVersion;
    return infos.slice(1).filter((info) => info.cdsVersion === latest && !info.closed).length;
  };
  await waitUntil(async () => (await caughtUp()) === paused.length, 30_000, 250);
  await sleep(500);
  const pausedAfter = await fleet.streamInfo(paused);
  const resumedResponses = pausedAfter.map(
    (info, i) => info.responses - (pausedBefore[i]?.responses ?? info.responses),
  );
  return {
    responsesAfterResume:
      resumedResponses.length > 0 ? resumedResponses.reduce((a, b) => a + b, 0) / resumedResponses.length : null,
    before,
    peak: sampler.peak,
    after,
    growthMiB: (Math.max(sampler.peak, after) - before) / MIB,
    witnessMiB: ((witnessAfter?.bytesReceived ?? 0) - (witnessBefore?.bytesReceived ?? 0)) / MIB,
    witnessPushes: (witnessAfter?.responses ?? 0) - (witnessBefore?.responses ?? 0),
    caughtUp: await caughtUp(),
    blocked,
  };
}

const describePhase = (p: Phase): Record<string, number | null> => ({
  rssBeforeMiB: round(p.before / MIB),
  rssPeakDuringMiB: round(p.peak / MIB),
  rssAfterMiB: round(p.after / MIB),
  growthMiB: round(p.growthMiB),
  witnessPushes: p.witnessPushes,
  witnessMiB: round(p.witnessMiB),
  pausedStreamResponsesAfterReadingAgain: round(p.responsesAfterResume),
  blockedStreamsMetric: p.blocked,
});

/**
 * Two rounds of the same number of changes on one meshpilot: a control round where every stream
 * reads (it warms the allocator and shows how much RSS moves without stuck readers), then the
 * measured round with the stuck streams paused.
 */
export async function runStuckReader(
  context: BenchContext,
  options: StuckReaderOptions,
  timeoutMs: number,
): Promise<ScenarioRow[]> {
  const total = options.stuckStreams + 1;
  const base = {
    id: 'e/stuck',
    scenario: 'e' as const,
    title: `${options.stuckStreams} stuck readers while ${options.changes} service changes are pushed`,
    streams: total,
    services: options.shape.services,
    metric: 'server RSS growth',
    unit: 'MiB',
    target: 'bounded (≪ what an unbounded queue would hold)',
  };
  try {
    return await withTimeout('stuck reader', timeoutMs, async (cleanup) => {
      const under = await startMeshpilotUnderTest(context, cleanup, 'stuck', options.shape, STUCK_DEBOUNCE);
      const initial = await connectFleet(
        context,
        cleanup,
        { port: under.server.xdsPort, pid: under.server.pid },
        {
          streams: total,
          tracked: [],
          timeoutMs: options.initialTimeoutMs,
          windowBytes: STUCK_WINDOW_BYTES,
        },
      );
      if (initial.fullPushMs === undefined)
        throw new Error(`the initial push did not complete (${initial.status.initialDone}/${total})`);
      const stuck = Array.from({ length: options.stuckStreams }, (_, i) => i + 1);
      const control = await phase(under, initial.fleet, [], options, 0);
      context.log(
        `  control (all reading): RSS ${round(control.before / MIB)} → ${round(Math.max(control.peak, control.after) / MIB)} MiB, witness got ${control.witnessPushes} pushes`,
      );
      const withStuck = await phase(under, initial.fleet, stuck, options, options.changes);
      const growth = withStuck.growthMiB;
      const reference = withStuck.witnessMiB * options.stuckStreams;
      const conclusive = reference >= MIN_REFERENCE_MIB;
      const bound = Math.max(NOISE_FLOOR_MIB, 0.25 * reference);
      // A server that queued every push would deliver them all once the stream reads again.
      const merged =
        withStuck.responsesAfterResume !== null && withStuck.responsesAfterResume < withStuck.witnessPushes;
      context.log(
        `  ${options.stuckStreams} stuck: RSS ${round(withStuck.before / MIB)} → ${round(Math.max(withStuck.peak, withStuck.after) / MIB)} MiB; ` +
          `an unbounded queue would hold ~${round(reference, 0)} MiB; ${withStuck.caughtUp}/${stuck.length} caught up after reading again`,
      );
      return [
        {
          ...base,
          meshpilot: round(growth),
          baseline: null,
          ratio: null,
          pass: conclusive ? growth <= bound && withStuck.caughtUp === stuck.length && merged : null,
          status: 'ok',
          details: {
            control: describePhase(control),
            withStuckReaders: describePhase(withStuck),
            unboundedQueueWouldHoldMiB: round(reference),
            passBoundMiB: round(bound),
            stuckStreamsCaughtUpAfterReadingAgain: withStuck.caughtUp,
            clientWindowBytes: STUCK_WINDOW_BYTES,
          },
          notes: conclusive
            ? `paused streams got ${round(withStuck.responsesAfterResume)} responses on reading again, the witness ${withStuck.witnessPushes} meanwhile; baseline: not applicable`
            : `inconclusive: the witness saw only ${round(withStuck.witnessMiB)} MiB of pushes, too little to tell bounded from unbounded`,
        },
      ];
    });
  } catch (error: unknown) {
    const { status, message } = failureOf(error);
    context.log(`  stuck reader: ${status}: ${message}`);
    return [failedRow(base, status, message)];
  }
}
