import { sleep, waitUntil } from '../clock.ts';
import type { LoadFleet } from '../load-fleet.ts';
import { cpuSeconds, MIB, RssSampler } from '../proc-stats.ts';
import type { BenchContext, Cleanup } from './context.ts';
import { round, type PeerCell, type ScenarioRow } from './result.ts';
import { connectFleet, settledRss, type ServerKind } from './servers.ts';

/**
 * The rounds of scenario (e) on one server, whichever it is: a fleet of 1 witness + N streams, a control
 * round of changes with every stream reading, then the same number of changes with the N streams paused
 * (HTTP/2 flow control stops the server after a 64 KiB window), then they read again. Measured: the
 * server's RSS growth over the stuck round, whether each paused stream catches up to the witness's CDS
 * version, and how many responses it got on reading again (all the pushes if the server queued them).
 */

/** HTTP/2's default window: a paused stream blocks the server after 64 KiB instead of after megabytes. */
export const STUCK_WINDOW_BYTES = 65_535;
/** RSS moves by this much on its own; growth below it says nothing. */
export const NOISE_FLOOR_MIB = 16;
/** Below this many MiB of pushes to the stuck streams, bounded and unbounded cannot be told apart. */
const MIN_REFERENCE_MIB = 64;

export interface StuckRoundOptions {
  readonly stuckStreams: number;
  readonly changes: number;
  readonly intervalMs: number;
  readonly initialTimeoutMs: number;
}

/** A server under (e): where its fleet connects, and how one service change (the i-th) is made. */
export interface StuckTarget {
  readonly kind: ServerKind;
  readonly port: number;
  readonly pid: number;
  readonly change: (i: number) => Promise<void>;
  /** The server's own count of streams it stopped writing to, when it has one. */
  readonly blockedStreams?: () => Promise<number | null>;
}

export interface Phase {
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
  /** Paused streams closed by the end of the round, and the first one's failure, if any. */
  readonly closed: number;
  readonly firstFailure?: string;
  /** Server CPU-seconds from the first change to the settled RSS after the last. */
  readonly cpuS: number | null;
}

export interface StuckOutcome {
  readonly control: Phase;
  readonly withStuck: Phase;
}

/** A peer's outcome under (e), or why it has none. */
export type StuckPeer =
  | { readonly name: string; readonly ok: true; readonly version: string; readonly outcome: StuckOutcome }
  | { readonly name: string; readonly ok: false; readonly version?: string; readonly error: string };

/** One round of changes; `paused` streams stop reading before it and read again after it. */
async function phase(
  target: StuckTarget,
  fleet: LoadFleet,
  paused: readonly number[],
  options: StuckRoundOptions,
  offset: number,
): Promise<Phase> {
  if (paused.length > 0) await fleet.setPaused(paused, true);
  const before = await settledRss(target.pid);
  const [witnessBefore] = await fleet.streamInfo([0]);
  const sampler = new RssSampler(target.pid);
  const cpuBefore = await cpuSeconds(target.pid);
  for (let i = 0; i < options.changes; i += 1) {
    await target.change(offset + i);
    await sampler.sample();
    await sleep(options.intervalMs);
  }
  await waitUntil(async () => (await fleet.streamInfo([0]))[0]?.bytesReceived !== witnessBefore?.bytesReceived, 5_000);
  await sleep(2_000);
  const after = await settledRss(target.pid);
  const cpuAfter = await cpuSeconds(target.pid);
  const blocked = (await target.blockedStreams?.()) ?? null;
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
  const firstFailure = pausedAfter.find((info) => info.failure !== undefined)?.failure;
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
    closed: pausedAfter.filter((info) => info.closed).length,
    ...(firstFailure !== undefined ? { firstFailure: firstFailure.slice(0, 200) } : {}),
    cpuS: cpuBefore === undefined || cpuAfter === undefined ? null : cpuAfter - cpuBefore,
  };
}

/**
 * Connects a fresh fleet to `target`, then runs the control round and the stuck round of the same number
 * of changes (the second round's changes continue the first's numbering). `afterInitialPush` runs once the
 * fleet has its full push (meshpilot: record its responses for the peers).
 */
export async function runStuckRounds(
  context: BenchContext,
  cleanup: Cleanup,
  target: StuckTarget,
  options: StuckRoundOptions,
  afterInitialPush: () => Promise<void> = async () => {},
): Promise<StuckOutcome> {
  const total = options.stuckStreams + 1;
  const initial = await connectFleet(
    context,
    cleanup,
    { port: target.port, pid: target.pid },
    { streams: total, tracked: [], timeoutMs: options.initialTimeoutMs, windowBytes: STUCK_WINDOW_BYTES },
  );
  if (initial.fullPushMs === undefined)
    throw new Error(
      `${target.kind}: the initial push did not complete (${initial.status.initialDone}/${total}${initial.status.firstFailure ? `: ${initial.status.firstFailure}` : ''})`,
    );
  await afterInitialPush();
  const stuck = Array.from({ length: options.stuckStreams }, (_, i) => i + 1);
  const control = await phase(target, initial.fleet, [], options, 0);
  context.log(
    `  ${target.kind} control (all reading): RSS ${round(control.before / MIB)} → ${round(Math.max(control.peak, control.after) / MIB)} MiB, witness got ${control.witnessPushes} pushes`,
  );
  const withStuck = await phase(target, initial.fleet, stuck, options, options.changes);
  context.log(
    `  ${target.kind} ${options.stuckStreams} stuck: RSS ${round(withStuck.before / MIB)} → ${round(Math.max(withStuck.peak, withStuck.after) / MIB)} MiB; ` +
      `an unbounded queue would hold ~${round(withStuck.witnessMiB * options.stuckStreams, 0)} MiB; ` +
      `${withStuck.caughtUp}/${stuck.length} caught up after reading again, with ${round(withStuck.responsesAfterResume)} responses each (witness: ${withStuck.witnessPushes})`,
  );
  await initial.fleet.close();
  return { control, withStuck };
}

function describePhase(p: Phase): Record<string, number | string | null> {
  return {
    rssBeforeMiB: round(p.before / MIB),
    rssPeakDuringMiB: round(p.peak / MIB),
    rssAfterMiB: round(p.after / MIB),
    growthMiB: round(p.growthMiB),
    witnessPushes: p.witnessPushes,
    witnessMiB: round(p.witnessMiB),
    pausedStreamResponsesAfterReadingAgain: round(p.responsesAfterResume),
    pausedStreamsCaughtUp: p.caughtUp,
    pausedStreamsClosed: p.closed,
    ...(p.firstFailure !== undefined ? { pausedStreamFirstFailure: p.firstFailure } : {}),
    blockedStreamsMetric: p.blocked,
    cpuSeconds: round(p.cpuS, 2),
  };
}

/** What one server did with its stuck streams, judged on its own stuck round. */
export interface StuckVerdict {
  readonly growthMiB: number;
  /** What the stuck streams would have held had every push been queued for them. */
  readonly unboundedMiB: number;
  readonly conclusive: boolean;
  readonly boundMiB: number;
  readonly allCaughtUp: boolean;
  /** Fewer responses on reading again than were pushed meanwhile: the server merged, it did not replay. */
  readonly merged: boolean;
  /** The witness got fewer than half the pushes of the control round: the stuck streams held the server back. */
  readonly witnessStarved: boolean;
  readonly bounded: boolean;
}

export function verdictOf(outcome: StuckOutcome, stuckStreams: number): StuckVerdict {
  const s = outcome.withStuck;
  const unboundedMiB = s.witnessMiB * stuckStreams;
  const boundMiB = Math.max(NOISE_FLOOR_MIB, 0.25 * unboundedMiB);
  const merged = s.responsesAfterResume !== null && s.responsesAfterResume < s.witnessPushes;
  return {
    growthMiB: s.growthMiB,
    unboundedMiB,
    conclusive: unboundedMiB >= MIN_REFERENCE_MIB,
    boundMiB,
    allCaughtUp: s.caughtUp === stuckStreams,
    merged,
    witnessStarved: s.witnessPushes < outcome.control.witnessPushes / 2,
    bounded: s.growthMiB <= boundMiB,
  };
}

function sentence(name: string, outcome: StuckOutcome, stuckStreams: number, changes: number): string {
  const s = outcome.withStuck;
  const v = verdictOf(outcome, stuckStreams);
  const how = [
    v.merged ? 'merged' : v.witnessStarved ? 'not fewer' : 'queued',
    ...(v.witnessStarved
      ? [
          `held back: the witness got ${s.witnessPushes} pushes for ${changes} changes, ${outcome.control.witnessPushes} in the control round`,
        ]
      : []),
  ].join('; ');
  return (
    `${name}: paused streams got ${round(s.responsesAfterResume)} responses on reading again, the witness ${s.witnessPushes} meanwhile ` +
    `(${how}), ${s.caughtUp}/${stuckStreams} caught up` +
    (s.closed > 0 ? ` (${s.closed} closed${s.firstFailure ? `: ${s.firstFailure}` : ''})` : '') +
    `; control round growth ${round(outcome.control.growthMiB)} MiB`
  );
}

/**
 * The row of (e) for meshpilot and one peer. Pass: meshpilot's growth is bounded (≤ max(16 MiB, 25% of
 * what an unbounded queue would hold)), every stuck stream caught up and got fewer responses than were
 * pushed meanwhile, and the witness got at least half as many pushes as in the control round (else the
 * stuck streams held the server back); with `atOrBelowPeer`, also growth ≤ max(the peer's, 16 MiB) when the peer ran
 * and was not held back itself.
 */
export function stuckRow(
  base: Omit<ScenarioRow, 'meshpilot' | 'baseline' | 'ratio' | 'pass' | 'status'>,
  { stuckStreams, changes }: { readonly stuckStreams: number; readonly changes: number },
  meshpilot: StuckOutcome,
  peer: StuckPeer,
  options: { atOrBelowPeer?: boolean; extraNote?: string } = {},
): ScenarioRow {
  const m = verdictOf(meshpilot, stuckStreams);
  const growth = round(m.growthMiB);
  const peerGrowth = peer.ok ? round(peer.outcome.withStuck.growthMiB) : null;
  const cell: PeerCell = {
    value: peerGrowth,
    // A growth at or below zero (RSS fell) gives no meaningful ratio.
    ratio: growth !== null && peerGrowth !== null && peerGrowth > 0 ? round(growth / peerGrowth, 2) : null,
    ...(peer.version !== undefined ? { version: peer.version } : {}),
  };
  // A peer whose witness was held back stopped pushing: its flat RSS is no reference for a server that kept serving.
  const peerHeldBack = peer.ok && verdictOf(peer.outcome, stuckStreams).witnessStarved;
  const belowPeer =
    !options.atOrBelowPeer ||
    peerGrowth === null ||
    peerHeldBack ||
    m.growthMiB <= Math.max(peerGrowth, NOISE_FLOOR_MIB);
  const notes = [
    ...(m.conclusive
      ? []
      : [
          `inconclusive: the witness saw only ${round(meshpilot.withStuck.witnessMiB)} MiB of pushes, too little to tell bounded from unbounded`,
        ]),
    sentence('meshpilot', meshpilot, stuckStreams, changes),
    peer.ok ? sentence(peer.name, peer.outcome, stuckStreams, changes) : `${peer.name}: ${peer.error.slice(0, 300)}`,
    ...(peerHeldBack
      ? [
          `${peer.name}'s growth is no like-for-like reference: its stuck streams held its pushes back${options.atOrBelowPeer ? ', so the pass does not compare with it' : ''}`,
        ]
      : []),
    ...(options.extraNote ? [options.extraNote] : []),
  ];
  const peerDetails = peer.ok
    ? {
        control: describePhase(peer.outcome.control),
        withStuckReaders: describePhase(peer.outcome.withStuck),
        ...verdictFields(verdictOf(peer.outcome, stuckStreams)),
      }
    : { error: peer.error.slice(0, 300) };
  return {
    ...base,
    meshpilot: growth,
    baseline: null,
    ratio: null,
    peers: { [peer.name]: cell },
    cpuSeconds: {
      meshpilot: round(meshpilot.withStuck.cpuS, 2),
      [peer.name]: peer.ok ? round(peer.outcome.withStuck.cpuS, 2) : null,
    },
    pass: m.conclusive ? m.bounded && m.allCaughtUp && m.merged && !m.witnessStarved && belowPeer : null,
    status: 'ok',
    notes: notes.join('; '),
    details: {
      control: describePhase(meshpilot.control),
      withStuckReaders: describePhase(meshpilot.withStuck),
      ...verdictFields(m),
      clientWindowBytes: STUCK_WINDOW_BYTES,
      [peer.name]: peerDetails,
    },
  };
}

function verdictFields(v: StuckVerdict): Record<string, number | boolean | null> {
  return {
    unboundedQueueWouldHoldMiB: round(v.unboundedMiB),
    passBoundMiB: round(v.boundMiB),
    allStuckStreamsCaughtUp: v.allCaughtUp,
    merged: v.merged,
    witnessStarved: v.witnessStarved,
  };
}
