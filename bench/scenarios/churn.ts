import { errorMessage } from '../../common/error-message.ts';
import { nowMs, percentile, sleep } from '../clock.ts';
import type { TrackedChange } from '../fleet-protocol.ts';
import type { MeshShape } from '../generate-mesh.ts';
import { PEER_NAME } from '../peer-process.ts';
import { cpuSeconds } from '../proc-stats.ts';
import { failureOf, withTimeout, type BenchContext, type Cleanup } from './context.ts';
import { failedRow, latencyPercentile, ratioOf, round, type ScenarioRow } from './result.ts';
import {
  connectFleet,
  record,
  startBaselineUnderTest,
  startMeshpilotUnderTest,
  startPeerUnderTest,
  waitConvergence,
  type ServerKind,
} from './servers.ts';

/**
 * Scenario (c): endpoint changes at a fixed rate for a fixed time. Every `trackEvery`-th change
 * goes to a service of a reserved pool that no other change touches, so its convergence can be
 * measured without mistaking one change for another; the rest is load on other services.
 */

export interface ChurnOptions {
  readonly shape: MeshShape;
  readonly streams: number;
  readonly ratePerSecond: number;
  readonly durationS: number;
  readonly trackEvery: number;
  readonly initialTimeoutMs: number;
  readonly convergenceTimeoutMs: number;
}

export interface PlannedChange {
  readonly service: number;
  readonly kubeCluster: number;
  readonly tracked: boolean;
}

export function churnPlan(shape: MeshShape, total: number, trackEvery: number): PlannedChange[] {
  const trackedCount = Math.ceil(total / trackEvery);
  const pool = Math.max(1, Math.min(Math.floor(shape.services / 2), trackedCount));
  const rest = shape.services - pool;
  let untracked = 0;
  return Array.from({ length: total }, (_, i) => {
    const tracked = i % trackEvery === 0;
    const service = tracked ? (i / trackEvery) % pool : pool + (untracked++ % rest);
    return { service, kubeCluster: i % shape.kubeClusters, tracked };
  });
}

export interface ChurnOutcome {
  readonly kind: ServerKind;
  readonly applied: number;
  readonly achievedRate: number;
  readonly cpuCores: number | null;
  readonly cpuSecondsTotal: number | null;
  readonly latencies: readonly number[];
  readonly missing: number;
  readonly timedOut: boolean;
}

export async function churnOn(
  context: BenchContext,
  cleanup: Cleanup,
  kind: ServerKind,
  target: { port: number; pid: number },
  options: ChurnOptions,
  plan: readonly PlannedChange[],
  resourceOf: (service: number) => string,
  apply: (change: PlannedChange) => Promise<void>,
  flush: () => Promise<unknown> = async () => {},
): Promise<ChurnOutcome> {
  const tracked = plan.filter((c) => c.tracked).map((c) => resourceOf(c.service));
  const initial = await connectFleet(context, cleanup, target, {
    streams: options.streams,
    tracked,
    timeoutMs: options.initialTimeoutMs,
  });
  if (initial.fullPushMs === undefined)
    throw new Error(`${kind}: the initial push did not complete (${initial.status.initialDone}/${options.streams})`);
  await sleep(1_000);
  const intervalMs = 1_000 / options.ratePerSecond;
  const deadline = nowMs() + options.durationS * 3_000;
  const changes: TrackedChange[] = [];
  const cpuStart = await cpuSeconds(target.pid);
  const start = nowMs();
  let applied = 0;
  for (const change of plan) {
    const wait = start + applied * intervalMs - nowMs();
    if (wait > 1) await sleep(wait);
    if (nowMs() > deadline) break;
    const writtenAt = nowMs();
    await apply(change);
    if (change.tracked) changes.push({ resource: resourceOf(change.service), writtenAt });
    applied += 1;
  }
  await flush();
  const end = nowMs();
  const cpuEnd = await cpuSeconds(target.pid);
  const { result, timedOut } = await waitConvergence(initial.fleet, changes, options.convergenceTimeoutMs);
  const cpuDrained = await cpuSeconds(target.pid);
  const missing = result.perChange.reduce((sum, c) => sum + c.missing, 0);
  context.log(
    `  ${kind}: ${applied} changes at ${(applied / ((end - start) / 1000)).toFixed(0)}/s, convergence p99 ${round(percentile(result.latencies, 99), 0) ?? '—'} ms` +
      (cpuStart !== undefined && cpuEnd !== undefined
        ? `, ${((cpuEnd - cpuStart) / ((end - start) / 1000)).toFixed(2)} cores`
        : ''),
  );
  await initial.fleet.close();
  return {
    kind,
    applied,
    achievedRate: applied / ((end - start) / 1000),
    cpuCores: cpuStart !== undefined && cpuEnd !== undefined ? (cpuEnd - cpuStart) / ((end - start) / 1000) : null,
    cpuSecondsTotal: cpuStart !== undefined && cpuDrained !== undefined ? cpuDrained - cpuStart : null,
    latencies: result.latencies,
    missing,
    timedOut,
  };
}

export async function runChurn(
  context: BenchContext,
  options: ChurnOptions,
  timeoutMs: number,
): Promise<ScenarioRow[]> {
  const base = { scenario: 'c' as const, streams: options.streams, services: options.shape.services };
  const title = `${options.ratePerSecond} endpoint changes/s for ${options.durationS} s`;
  const plan = churnPlan(options.shape, options.ratePerSecond * options.durationS, options.trackEvery);
  const outcomes: Partial<Record<ServerKind, ChurnOutcome>> = {};
  const peer: { version?: string; error?: string } = {};
  try {
    await withTimeout('churn', timeoutMs, async (cleanup) => {
      const under = await startMeshpilotUnderTest(context, cleanup, 'churn', options.shape);
      await record(under);
      const resourceOf = (service: number): string => under.mesh.services[service]!.envoyCluster;
      outcomes.meshpilot = await churnOn(
        context,
        cleanup,
        'meshpilot',
        { port: under.server.xdsPort, pid: under.server.pid },
        options,
        plan,
        resourceOf,
        (c) => under.mesh.toggleEndpoint(c.kubeCluster, c.service),
      );
      await under.server.stop();
      const baseline = await startBaselineUnderTest(cleanup, under.recordingDir);
      const batcher = new PushBatcher((resources) => baseline.push(resources));
      cleanup.defer(() => batcher.stop());
      outcomes.baseline = await churnOn(
        context,
        cleanup,
        'baseline',
        { port: baseline.xdsPort, pid: baseline.pid },
        options,
        plan,
        resourceOf,
        async (c) => batcher.add(resourceOf(c.service)),
        () => batcher.flush(),
      );
      batcher.stop();
      await baseline.stop();
      // The go-control-plane peer is told about changes the same way as the baseline (batched).
      try {
        const gcp = await startPeerUnderTest(cleanup, under.recordingDir);
        peer.version = gcp.version;
        const peerBatcher = new PushBatcher((resources) => gcp.push(resources));
        cleanup.defer(() => peerBatcher.stop());
        outcomes[PEER_NAME] = await churnOn(
          context,
          cleanup,
          PEER_NAME,
          { port: gcp.xdsPort, pid: gcp.pid },
          options,
          plan,
          resourceOf,
          async (c) => peerBatcher.add(resourceOf(c.service)),
          () => peerBatcher.flush(),
        );
        peerBatcher.stop();
        await gcp.stop();
      } catch (error: unknown) {
        peer.error = errorMessage(error);
        context.log(`  ${PEER_NAME}: ${peer.error}`);
      }
    });
  } catch (error: unknown) {
    const { status, message } = failureOf(error);
    context.log(`  churn: ${status}: ${message}`);
    if (!outcomes.meshpilot) {
      return [
        failedRow(
          { ...base, id: 'c/cpu', title, metric: 'server CPU during changes', unit: 'cores', target: 'informational' },
          status,
          message,
        ),
        failedRow(
          { ...base, id: 'c/convergence', title, metric: 'convergence p99', unit: 'ms', target: 'p99 ≤ 1000 ms' },
          status,
          message,
        ),
      ];
    }
    return rowsOf(
      base,
      title,
      plan,
      outcomes.meshpilot,
      outcomes.baseline,
      { ...peer, outcome: outcomes[PEER_NAME] },
      `${outcomes.baseline ? PEER_NAME : 'baseline'}: ${status}: ${message}`,
    );
  }
  return rowsOf(base, title, plan, outcomes.meshpilot!, outcomes.baseline, { ...peer, outcome: outcomes[PEER_NAME] });
}

function rowsOf(
  base: { scenario: 'c'; streams: number; services: number },
  title: string,
  plan: readonly PlannedChange[],
  m: ChurnOutcome,
  b: ChurnOutcome | undefined,
  peer: { version?: string; error?: string; outcome?: ChurnOutcome | undefined },
  failure?: string,
): ScenarioRow[] {
  const g = peer.outcome;
  const p = (o: ChurnOutcome | undefined, q: number): number | null => latencyPercentile(o?.latencies, q);
  const cpuM = round(m.cpuCores, 2);
  const cpuB = round(b?.cpuCores, 2);
  const p99M = m.missing > 0 ? null : p(m, 99);
  const p99B = !b || b.missing > 0 ? null : p(b, 99);
  const cpuG = round(g?.cpuCores, 2);
  const p99G = !g || g.missing > 0 ? null : p(g, 99);
  const details = {
    appliedChanges: { meshpilot: m.applied, baseline: b?.applied ?? null, [PEER_NAME]: g?.applied ?? null },
    achievedRatePerS: {
      meshpilot: round(m.achievedRate),
      baseline: round(b?.achievedRate),
      [PEER_NAME]: round(g?.achievedRate),
    },
    trackedChanges: plan.filter((c) => c.tracked).length,
    p50Ms: { meshpilot: p(m, 50), baseline: p(b, 50), [PEER_NAME]: p(g, 50) },
    p99Ms: { meshpilot: p(m, 99), baseline: p(b, 99), [PEER_NAME]: p(g, 99) },
    maxMs: { meshpilot: p(m, 100), baseline: p(b, 100), [PEER_NAME]: p(g, 100) },
    neverConverged: { meshpilot: m.missing, baseline: b?.missing ?? null, [PEER_NAME]: g?.missing ?? null },
    cpuSecondsUntilConverged: {
      meshpilot: round(m.cpuSecondsTotal),
      baseline: round(b?.cpuSecondsTotal),
      [PEER_NAME]: round(g?.cpuSecondsTotal),
    },
    baselineBatchMs: BASELINE_BATCH_MS,
  };
  const version = peer.version !== undefined ? { version: peer.version } : {};
  const cpuSecondsRow = {
    meshpilot: round(m.cpuSecondsTotal, 2),
    baseline: round(b?.cpuSecondsTotal, 2),
    [PEER_NAME]: round(g?.cpuSecondsTotal, 2),
  };
  const status = failure !== undefined ? 'timeout' : m.timedOut || b?.timedOut ? 'timeout' : 'ok';
  const notes = (failure ?? (peer.error !== undefined ? `${PEER_NAME}: ${peer.error}` : undefined))?.slice(0, 300);
  return [
    {
      ...base,
      id: 'c/cpu',
      title,
      metric: 'server CPU during changes',
      unit: 'cores',
      meshpilot: cpuM,
      baseline: cpuB,
      ratio: round(ratioOf(cpuM, cpuB), 1),
      peers: { [PEER_NAME]: { value: cpuG, ratio: round(ratioOf(cpuM, cpuG), 1), ...version } },
      cpuSeconds: cpuSecondsRow,
      target: 'informational',
      pass: null,
      status,
      details,
      ...(notes ? { notes } : {}),
    },
    {
      ...base,
      id: 'c/convergence',
      title,
      metric: 'convergence p99',
      unit: 'ms',
      meshpilot: p99M,
      baseline: p99B,
      ratio: round(ratioOf(p99M, p99B), 1),
      peers: { [PEER_NAME]: { value: p99G, ratio: round(ratioOf(p99M, p99G), 1), ...version } },
      target: 'p99 ≤ 1000 ms',
      pass: m.missing > 0 ? false : p99M === null ? null : p99M <= 1_000,
      status,
      details,
      ...(notes ? { notes } : {}),
    },
  ];
}

/**
 * The baseline has no debounce of its own: it is told about changes once per BASELINE_BATCH_MS
 * (meshpilot's default quiet time), each time with every resource changed since, and sends one
 * response per view. Pushing each change on its own would make every stream ACK 100 times a second,
 * each ACK repeating all EDS names — more than any real control plane sends.
 */
const BASELINE_BATCH_MS = 100;

class PushBatcher {
  private pending = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private sending: Promise<unknown> = Promise.resolve();
  private readonly send: (resources: readonly string[]) => Promise<number>;

  constructor(send: (resources: readonly string[]) => Promise<number>) {
    this.send = send;
    this.timer = setInterval(() => void this.flush(), BASELINE_BATCH_MS);
  }

  add(resource: string): void {
    this.pending.add(resource);
  }

  flush(): Promise<unknown> {
    if (this.pending.size > 0) {
      const resources = [...this.pending];
      this.pending = new Set();
      this.sending = this.sending.then(() => this.send(resources));
    }
    return this.sending;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
