import { join } from 'node:path';
import { startBaseline, type BaselineProcess } from '../baseline-process.ts';
import { nowMs, sleep, waitUntil } from '../clock.ts';
import type { ConvergenceResult, StatusResult, TrackedChange } from '../fleet-protocol.ts';
import { GeneratedMesh, type MeshShape } from '../generate-mesh.ts';
import { LoadFleet } from '../load-fleet.ts';
import { startMeshpilot, type ServerProcess } from '../meshpilot-server.ts';
import { PEER_NAME, startPeer, type PeerProcess } from '../peer-process.ts';
import { processTree, rssBytes } from '../proc-stats.ts';
import { recordViews, saveRecording } from '../recording.ts';
import { checkMemory, type BenchContext, type Cleanup } from './context.ts';

/** The two servers under test and what scenarios do with them: start, connect a fleet, change, measure. */

export type ServerKind = 'meshpilot' | 'baseline' | typeof PEER_NAME | 'istiod';

export const DEFAULT_DEBOUNCE = { quietMs: 100, maxMs: 1_000 };

export interface MeshpilotUnderTest {
  readonly mesh: GeneratedMesh;
  readonly server: ServerProcess & { adminUrl: string };
  /** Where `record` saves meshpilot's responses for the baseline. */
  readonly recordingDir: string;
}

/** Records meshpilot's current responses, one stream per proxy view, for the baseline to replay. */
export async function record(under: MeshpilotUnderTest): Promise<void> {
  await saveRecording(under.recordingDir, await recordViews(under.server.xdsPort, 120_000));
}

/** Writes a fresh mesh and starts meshpilot on it (its caches cold: nothing has asked it anything yet). */
export async function startMeshpilotUnderTest(
  context: BenchContext,
  cleanup: Cleanup,
  name: string,
  shape: MeshShape,
  debounce: { quietMs: number; maxMs: number } = DEFAULT_DEBOUNCE,
  nodeFlags: readonly string[] = [],
): Promise<MeshpilotUnderTest> {
  const root = join(context.workDir, name);
  const mesh = await GeneratedMesh.write(join(root, 'mesh'), shape, { debounce, logLevel: 'info' });
  const started = nowMs();
  const server = await startMeshpilot(mesh.configPath, 180_000, nodeFlags.length > 0 ? { nodeFlags } : {});
  cleanup.defer(() => server.stop());
  context.log(
    `  meshpilot up in ${Math.round(nowMs() - started)} ms (pid ${server.pid}, ${shape.services} services × ${shape.kubeClusters} kube clusters)`,
  );
  return { mesh, server, recordingDir: join(root, 'recording') };
}

export async function startBaselineUnderTest(
  cleanup: Cleanup,
  recordingDir: string,
  nodeFlags: readonly string[] = [],
): Promise<BaselineProcess> {
  const baseline = await startBaseline(recordingDir, 60_000, nodeFlags);
  cleanup.defer(() => baseline.stop());
  return baseline;
}

/** The go-control-plane peer serving the same recording as the baseline. */
export async function startPeerUnderTest(cleanup: Cleanup, recordingDir: string): Promise<PeerProcess> {
  const peer = await startPeer(recordingDir, 60_000);
  cleanup.defer(() => peer.stop());
  return peer;
}

/** Median of a few RSS samples after a settle time: one sample is too noisy on a busy machine. */
export async function settledRss(
  pid: number,
  settleMs = 1_000,
  samples = 3,
  read: (pid: number) => Promise<number | undefined> = rssBytes,
): Promise<number> {
  await sleep(settleMs);
  const values: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    if (i > 0) await sleep(250);
    const rss = await read(pid);
    // A server that exited has no RSS: counted as 0 it made a negative per-stream RSS, and its streams "never converged".
    if (rss === undefined)
      throw new Error(`MESHPILOT_BENCH_ERR_SERVER_GONE: process ${pid} is gone (no VmRSS in /proc/${pid}/status)`);
    values.push(rss);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)]!;
}

export interface InitialPush {
  readonly fleet: LoadFleet;
  readonly status: StatusResult;
  readonly timedOut: boolean;
  /** First request sent → last stream ACKed its initial CDS+EDS, ms (undefined when not every stream finished). */
  readonly fullPushMs: number | undefined;
}

/** Connects `streams` simulated Envoys to `port`, lets them all start at once, waits (bounded) for every initial push. */
export async function connectFleet(
  context: BenchContext,
  cleanup: Cleanup,
  target: { port: number; pid: number; tree?: boolean },
  options: {
    streams: number;
    tracked: readonly string[];
    keepNames?: boolean;
    timeoutMs: number;
    firstIndex?: number;
    windowBytes?: number;
  },
): Promise<InitialPush> {
  const fleet = new LoadFleet({
    streams: options.streams,
    streamsPerWorker: context.streamsPerWorker,
    tracked: options.tracked,
    ...(options.keepNames ? { keepNames: true } : {}),
    ...(options.firstIndex !== undefined ? { firstIndex: options.firstIndex } : {}),
    ...(options.windowBytes ? { windowBytes: options.windowBytes } : {}),
  });
  cleanup.defer(() => fleet.close());
  const opened = await fleet.open(target.port, Math.max(30_000, options.streams * 10));
  if (opened.failed > 0)
    throw new Error(`${opened.failed} of ${options.streams} streams did not connect: ${opened.firstError ?? ''}`);
  const startedAt = await fleet.start();
  const { status, timedOut } = await fleet.waitInitial(options.timeoutMs, async () =>
    checkMemory([...(target.tree ? await processTree(target.pid) : [target.pid]), ...fleet.pids()]),
  );
  const complete =
    !timedOut &&
    status.failed === 0 &&
    status.initialDone === options.streams &&
    status.lastInitialDoneAt !== undefined;
  return { fleet, status, timedOut, fullPushMs: complete ? status.lastInitialDoneAt! - startedAt : undefined };
}

/** Polls (bounded) until every subscribed stream converged on every change, or the timeout. */
export async function waitConvergence(
  fleet: LoadFleet,
  changes: readonly TrackedChange[],
  timeoutMs: number,
): Promise<{ result: ConvergenceResult; timedOut: boolean }> {
  let result = await fleet.convergence(changes);
  const converged = await waitUntil(
    async () => {
      result = await fleet.convergence(changes);
      return result.perChange.every((c) => c.missing === 0);
    },
    timeoutMs,
    250,
  );
  return { result, timedOut: !converged };
}
