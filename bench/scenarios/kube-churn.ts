import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../common/error-message.ts';
import { nowMs } from '../clock.ts';
import { startMeshpilot } from '../meshpilot-server.ts';
import { ISTIOD_NAME, startIstiod } from '../peers/istiod.ts';
import type { KubeMesh } from '../peers/kube-mesh.ts';
import { metricValue } from '../prom-metrics.ts';
import { churnOn, churnPlan, type ChurnOptions, type ChurnOutcome } from './churn.ts';
import { failureOf, withTimeout, type BenchContext } from './context.ts';
import { failedRow, latencyPercentile, ratioOf, round, type ScenarioRow } from './result.ts';
import { DEFAULT_DEBOUNCE, type ServerKind } from './servers.ts';

/**
 * Scenario (c) with meshpilot and istiod reading the same real API servers: endpoint changes at a fixed
 * rate, each one EndpointSlice update sent to an API server (the pods they name are created beforehand),
 * the same plan for both servers, each with a fresh fleet. CPU is the server process's alone (the API
 * servers' own CPU is the same for both and not counted).
 */
export async function runKubeChurn(
  context: BenchContext,
  kube: KubeMesh,
  options: Omit<ChurnOptions, 'shape'>,
  timeoutMs: number,
): Promise<ScenarioRow[]> {
  const base = { scenario: 'c' as const, streams: options.streams, services: kube.mesh.shape.services };
  const title = `${options.ratePerSecond} EndpointSlice updates/s for ${options.durationS} s, real API servers`;
  const plan = churnPlan(kube.mesh.shape, options.ratePerSecond * options.durationS, options.trackEvery);
  let meshpilot: ChurnOutcome | undefined;
  let istiod: ChurnOutcome | undefined;
  // Debounced pushes each server made over the same changes (pilot_debounce_time's count, a name both expose):
  // istiod's 10 s debounce max pushes far less often under churn than meshpilot's 1 s, so CPU per push is shown too.
  const pushes: { meshpilot?: number | null; istiod?: number | null } = {};
  const peer: { version?: string; error?: string } = {};
  try {
    await withTimeout('churn on real API servers', timeoutMs, async (cleanup) => {
      const root = join(context.workDir, 'kube-churn');
      await mkdir(root, { recursive: true });
      const mesh = kube.mesh;
      await kube.prepareToggles(plan);
      const resourceOf = (service: number): string => mesh.services[service]!.envoyCluster;
      // Writes go out at the planned rate without waiting for each answer (at most MAX_IN_FLIGHT at once),
      // so an API server's latency does not lower the rate one server gets; flush waits for the rest.
      const inFlight = new Set<Promise<unknown>>();
      const apply = async (c: { kubeCluster: number; service: number }): Promise<void> => {
        const write: Promise<unknown> = kube
          .toggleEndpoint(c.kubeCluster, c.service)
          .catch((error: unknown) => context.log(`  churn write failed: ${String(error)}`))
          .finally(() => inFlight.delete(write));
        inFlight.add(write);
        if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      };
      const flush = (): Promise<unknown> => Promise.all(inFlight);
      const configPath = join(root, 'meshpilot-kube.yaml');
      await kube.writeMeshpilotConfig(configPath, { debounce: DEFAULT_DEBOUNCE, logLevel: 'info' });
      // Both servers get the same plan, written to the API servers the same way.
      const churn = async (
        kind: ServerKind,
        target: { port: number; pid: number },
        metricsUrl: string,
        counted: (n: number | null) => void,
      ): Promise<ChurnOutcome> => {
        const before = await metricValue(metricsUrl, DEBOUNCED_PUSHES);
        const outcome = await churnOn(
          context,
          cleanup,
          kind,
          target,
          { ...options, shape: kube.mesh.shape },
          plan,
          resourceOf,
          apply,
          flush,
        );
        const after = await metricValue(metricsUrl, DEBOUNCED_PUSHES);
        counted(before === null || after === null ? null : after - before);
        return outcome;
      };
      const server = await startMeshpilot(configPath, 180_000);
      cleanup.defer(() => server.stop());
      meshpilot = await churn('meshpilot', { port: server.xdsPort, pid: server.pid }, server.adminUrl, (n) => {
        pushes.meshpilot = n;
      });
      await server.stop();
      try {
        const started = nowMs();
        const peerProcess = await startIstiod(kube, join(root, 'istiod'), 180_000);
        cleanup.defer(() => peerProcess.stop());
        peer.version = peerProcess.version;
        context.log(`  ${ISTIOD_NAME} up and synced in ${Math.round(nowMs() - started)} ms`);
        istiod = await churn(
          ISTIOD_NAME,
          { port: peerProcess.xdsPort, pid: peerProcess.pid },
          peerProcess.metricsUrl,
          (n) => {
            pushes.istiod = n;
          },
        );
        await peerProcess.stop();
      } catch (error: unknown) {
        peer.error = errorMessage(error);
        context.log(`  ${ISTIOD_NAME}: ${peer.error}`);
      }
    });
  } catch (error: unknown) {
    const { status, message } = failureOf(error);
    context.log(`  churn on real API servers: ${status}: ${message}`);
    if (!meshpilot) {
      return [
        failedRow(
          { ...base, id: 'c/kube/cpu', title, metric: 'server CPU during changes', unit: 'cores', target: CPU_TARGET },
          status,
          message,
        ),
        failedRow(
          { ...base, id: 'c/kube/convergence', title, metric: 'convergence p99', unit: 'ms', target: P99_TARGET },
          status,
          message,
        ),
      ];
    }
    peer.error ??= `${status}: ${message}`;
  }
  return rowsOf(base, title, plan.filter((c) => c.tracked).length, meshpilot!, istiod, peer, pushes);
}

const MAX_IN_FLIGHT = 32;
const DEBOUNCED_PUSHES = 'pilot_debounce_time_count';
const CPU_TARGET = `≤ 0.5× ${ISTIOD_NAME}'s`;
const P99_TARGET = `≤ ${ISTIOD_NAME}, ≤ 1000 ms`;

function rowsOf(
  base: { scenario: 'c'; streams: number; services: number },
  title: string,
  trackedChanges: number,
  m: ChurnOutcome,
  i: ChurnOutcome | undefined,
  peer: { version?: string; error?: string },
  pushes: { meshpilot?: number | null; istiod?: number | null },
): ScenarioRow[] {
  const p = (o: ChurnOutcome | undefined, q: number): number | null => latencyPercentile(o?.latencies, q);
  const cpuM = round(m.cpuCores, 2);
  const cpuI = round(i?.cpuCores, 2);
  const p99M = m.missing > 0 ? null : p(m, 99);
  const p99I = !i || i.missing > 0 ? null : p(i, 99);
  const version = peer.version !== undefined ? { version: peer.version } : {};
  const details = {
    appliedChanges: { meshpilot: m.applied, [ISTIOD_NAME]: i?.applied ?? null },
    achievedRatePerS: { meshpilot: round(m.achievedRate), [ISTIOD_NAME]: round(i?.achievedRate) },
    trackedChanges,
    p50Ms: { meshpilot: p(m, 50), [ISTIOD_NAME]: p(i, 50) },
    p99Ms: { meshpilot: p(m, 99), [ISTIOD_NAME]: p(i, 99) },
    maxMs: { meshpilot: p(m, 100), [ISTIOD_NAME]: p(i, 100) },
    neverConverged: { meshpilot: m.missing, [ISTIOD_NAME]: i?.missing ?? null },
    debouncedPushes: { meshpilot: pushes.meshpilot ?? null, [ISTIOD_NAME]: pushes.istiod ?? null },
  };
  const cpuSeconds = { meshpilot: round(m.cpuSecondsTotal, 2), [ISTIOD_NAME]: round(i?.cpuSecondsTotal, 2) };
  const status = m.timedOut ? ('timeout' as const) : ('ok' as const);
  const notes = peer.error !== undefined ? `${ISTIOD_NAME}: ${peer.error.slice(0, 300)}` : undefined;
  const cpuRatio = round(ratioOf(cpuM, cpuI), 2);
  const p99Ratio = round(ratioOf(p99M, p99I), 2);
  const nulls = { baseline: null, ratio: null };
  const perPushMs = (cpu: number | null | undefined, n: number | null | undefined): number | null =>
    cpu === null || cpu === undefined || n === null || n === undefined || n <= 0 ? null : round((cpu * 1000) / n, 0);
  const perPushM = perPushMs(m.cpuSecondsTotal, pushes.meshpilot);
  const perPushI = perPushMs(i?.cpuSecondsTotal, pushes.istiod);
  const pushCounts = `debounced pushes: meshpilot ${pushes.meshpilot ?? '?'}, ${ISTIOD_NAME} ${pushes.istiod ?? '?'} (debounce max 1 s vs ${ISTIOD_NAME}'s 10 s)`;
  return [
    {
      ...base,
      ...nulls,
      id: 'c/kube/cpu',
      title,
      metric: 'server CPU during changes',
      unit: 'cores',
      meshpilot: cpuM,
      peers: { [ISTIOD_NAME]: { value: cpuI, ratio: cpuRatio, ...version } },
      cpuSeconds,
      target: CPU_TARGET,
      pass: cpuRatio === null ? null : cpuRatio <= 0.5,
      status,
      details,
      ...(notes ? { notes } : {}),
    },
    {
      ...base,
      ...nulls,
      id: 'c/kube/cpu-per-push',
      title,
      metric: 'server CPU per debounced push',
      unit: 'ms',
      meshpilot: perPushM,
      peers: { [ISTIOD_NAME]: { value: perPushI, ratio: round(ratioOf(perPushM, perPushI), 2), ...version } },
      target: 'informational',
      pass: null,
      status,
      details,
      notes: notes ? `${pushCounts}; ${notes}` : pushCounts,
    },
    {
      ...base,
      ...nulls,
      id: 'c/kube/convergence',
      title,
      metric: 'convergence p99',
      unit: 'ms',
      meshpilot: p99M,
      peers: { [ISTIOD_NAME]: { value: p99I, ratio: p99Ratio, ...version } },
      target: P99_TARGET,
      pass: m.missing > 0 ? false : p99M === null ? null : p99M <= 1_000 && (p99Ratio === null || p99Ratio <= 1),
      status,
      details,
      ...(notes ? { notes } : {}),
    },
  ];
}
