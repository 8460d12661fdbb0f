import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../common/error-message.ts';
import { nowMs, percentile } from '../clock.ts';
import { GeneratedMesh, type MeshShape } from '../generate-mesh.ts';
import { startMeshpilot } from '../meshpilot-server.ts';
import { INSPECT_ON_SIGNAL, forceGcIstiod, forceGcNode, nodeMemoryUsage, type NodeMemory } from '../peers/force-gc.ts';
import { ISTIOD_NAME, startIstiod } from '../peers/istiod.ts';
import { KubeMesh } from '../peers/kube-mesh.ts';
import type { Http2Floor } from '../http2-floor.ts';
import { KIB } from '../proc-stats.ts';
import { failureOf, withTimeout, type BenchContext } from './context.ts';
import {
  changePlan,
  failedSuiteRows,
  http2FloorFor,
  latencyOf,
  measure,
  peerCells,
  rowHead,
  rssMiB,
  type PeerOutcome,
  type ServerOutcome,
} from './push-suite.ts';
import { idleMemoryParts } from './idle-memory.ts';
import { ratioOf, round, type ScenarioRow } from './result.ts';
import { DEFAULT_DEBOUNCE, type ServerKind } from './servers.ts';

/**
 * Scenarios (a), (b) and (d) with both servers reading the same member clusters from real Kubernetes
 * API servers (interop/kube-apiserver, one per kube cluster): meshpilot (its kube registry, one
 * kubeconfig per cluster, the same meshNetworks) and then istiod (pilot-discovery, a primary plus remote
 * secrets), each with a fresh fleet of the same N simulated sidecars. A change is one EndpointSlice
 * update sent to an API server, so (b) here times the pipeline from the write that becomes the watch
 * event (issue #16 point 4), with no file registry re-read in it.
 */

export interface KubeSuiteOptions {
  readonly streams: number;
  readonly changes: number;
  readonly initialTimeoutMs: number;
  readonly convergenceTimeoutMs: number;
  readonly keepNames?: boolean;
  readonly scenarios: ReadonlySet<'a' | 'b' | 'd'>;
}

export interface KubeSuiteResult {
  readonly rows: ScenarioRow[];
  readonly meshpilot?: ServerOutcome;
  readonly istiod?: PeerOutcome;
}

const TITLES = {
  a: 'Full push, both reading real API servers',
  b: 'One EndpointSlice update → every stream ACKed',
  d: 'RSS per idle stream after a forced GC, real API servers',
} as const;
const TARGETS = {
  a: `≤ ${ISTIOD_NAME}, CPU ≤ 0.5× ${ISTIOD_NAME}'s`,
  b: `≤ ${ISTIOD_NAME}, CPU ≤ 0.5× ${ISTIOD_NAME}'s; p99 ≤ 1000 ms at 10,000 streams`,
  d: `≤ 50 KiB, ≤ 0.5× ${ISTIOD_NAME}'s`,
} as const;

/** Writes the generated mesh and starts real API servers holding it (shared by the suites of one run). */
export async function startKubeMesh(context: BenchContext, shape: MeshShape): Promise<KubeMesh> {
  const root = join(context.workDir, 'kube');
  const mesh = await GeneratedMesh.write(join(root, 'mesh'), shape, { debounce: DEFAULT_DEBOUNCE, logLevel: 'info' });
  const started = nowMs();
  const kube = await KubeMesh.start(join(root, 'api-servers'), mesh);
  context.log(
    `  ${kube.clusters.length} real API servers up with ${kube.objectCount().toLocaleString('en-US')} objects in ${Math.round(nowMs() - started)} ms`,
  );
  return kube;
}

export async function runKubeSuite(
  context: BenchContext,
  kube: KubeMesh,
  options: KubeSuiteOptions,
  timeoutMs: number,
): Promise<KubeSuiteResult> {
  const n = options.streams;
  let meshpilot: ServerOutcome | undefined;
  let istiod: PeerOutcome | undefined;
  // Bounded on its own (60 s), outside the suite's time.
  const floor = options.scenarios.has('d') ? await http2FloorFor(context, n) : null;
  try {
    await withTimeout(`real-API-server suite at ${n} streams`, timeoutMs, async (cleanup) => {
      const root = join(context.workDir, `kube-${n}`);
      await mkdir(root, { recursive: true });
      const mesh = kube.mesh;
      let started: number;
      const plan = changePlan(kube.mesh.shape, options.changes);
      const tracked = plan.map((p) => mesh.services[p.service]!.envoyCluster);
      // The pods the changes name exist before either server starts: each change is then one EndpointSlice write.
      await kube.prepareToggles(plan);
      const toggle = (i: number): Promise<number> => kube.toggleEndpoint(plan[i]!.kubeCluster, plan[i]!.service);
      const configPath = join(root, 'meshpilot-kube.yaml');
      await kube.writeMeshpilotConfig(configPath, { debounce: DEFAULT_DEBOUNCE, logLevel: 'info' });
      started = nowMs();
      const server = await startMeshpilot(configPath, 180_000, { nodeFlags: [INSPECT_ON_SIGNAL] });
      cleanup.defer(() => server.stop());
      context.log(`  meshpilot (kube registry) up in ${Math.round(nowMs() - started)} ms (pid ${server.pid})`);
      // Both servers get the same fleet, changes and forced GCs.
      const measureOn = (
        kind: ServerKind,
        target: { port: number; pid: number },
        forceGc: () => Promise<boolean>,
        memoryUsage?: () => Promise<NodeMemory | undefined>,
      ): Promise<ServerOutcome> =>
        measure(
          context,
          cleanup,
          kind,
          target,
          { ...options, shape: mesh.shape },
          tracked,
          toggle,
          undefined,
          forceGc,
          memoryUsage,
        );
      meshpilot = await measureOn(
        'meshpilot',
        { port: server.xdsPort, pid: server.pid },
        () => forceGcNode(server),
        () => nodeMemoryUsage(server),
      ).catch((error: unknown) => {
        throw new Error(`meshpilot: ${errorMessage(error)}; its last lines: ${server.tail().join(' | ')}`);
      });
      if (meshpilot.initialDone < n) context.log(`  meshpilot's last lines: ${server.tail().join(' | ')}`);
      await server.stop();
      try {
        started = nowMs();
        const peer = await startIstiod(kube, join(root, 'istiod'), 180_000);
        cleanup.defer(() => peer.stop());
        context.log(`  ${ISTIOD_NAME} up and synced in ${Math.round(nowMs() - started)} ms (pid ${peer.pid})`);
        const outcome = await measureOn(ISTIOD_NAME, { port: peer.xdsPort, pid: peer.pid }, () =>
          forceGcIstiod(peer.httpUrl),
        );
        // Why streams closed is in istiod's own log (warnings and errors only), not in what the fleet saw.
        if (outcome.initialDone < n) context.log(`  ${ISTIOD_NAME}'s last lines: ${peer.tail().join(' | ')}`);
        istiod = { ok: true, version: peer.version, outcome };
        await peer.stop();
      } catch (error: unknown) {
        istiod = { ok: false, error: errorMessage(error) };
        context.log(`  ${ISTIOD_NAME}: ${istiod.error}`);
      }
    });
  } catch (error: unknown) {
    const failure = failureOf(error);
    context.log(`  real-API-server suite at ${n} streams: ${failure.status}: ${failure.message}`);
    if (!meshpilot) {
      const base = { streams: n, services: kube.mesh.shape.services };
      return { rows: failedSuiteRows(options.scenarios, (s) => `${s}/kube/${n}`, TITLES, TARGETS, base, failure) };
    }
  }
  istiod ??= { ok: false, error: 'not run: the suite ended before istiod' };
  return {
    rows: kubeRows({ ...options, shape: kube.mesh.shape }, meshpilot!, istiod, floor),
    meshpilot: meshpilot!,
    istiod,
  };
}

function kubeRows(
  options: KubeSuiteOptions & { shape: MeshShape },
  m: ServerOutcome,
  peer: PeerOutcome,
  floor: Http2Floor | null,
): ScenarioRow[] {
  const n = options.streams;
  const base = { streams: n, services: options.shape.services, baseline: null, ratio: null };
  const peerValue = (value: (o: ServerOutcome) => number | null): number | null =>
    peer.ok ? value(peer.outcome) : null;
  const cell = (mp: number | null, value: (o: ServerOutcome) => number | null, digits: number) =>
    peerCells(peer, value, mp, digits, ISTIOD_NAME);
  const cpu = (pick: (o: ServerOutcome) => number | null) => ({
    meshpilot: round(pick(m), 2),
    [ISTIOD_NAME]: round(peerValue(pick), 2),
  });
  const cpuRatio = (pick: (o: ServerOutcome) => number | null): number | null => ratioOf(pick(m), peerValue(pick));
  const complete = (o: ServerOutcome): boolean => o.fullPushMs !== undefined;
  const status = complete(m) ? ('ok' as const) : ('timeout' as const);
  const note = !peer.ok
    ? `${ISTIOD_NAME}: ${peer.error.slice(0, 300)}`
    : complete(peer.outcome)
      ? undefined
      : incompleteNote(peer.outcome, n);
  const rows: ScenarioRow[] = [];
  if (options.scenarios.has('a')) {
    const mp = round(m.fullPushMs ?? null, 0);
    const peers = cell(mp, (o) => round(o.fullPushMs ?? null, 0), 2);
    const ratio = peers[ISTIOD_NAME]?.ratio ?? null;
    const cpuR = cpuRatio((o) => o.cpuFullPushS);
    rows.push({
      ...rowHead('a', `a/kube/${n}`, TITLES, TARGETS),
      ...base,
      meshpilot: mp,
      peers,
      cpuSeconds: cpu((o) => o.cpuFullPushS),
      pass: ratio === null ? null : ratio <= 1 && (cpuR === null || cpuR <= 0.5),
      status,
      ...(note ? { notes: note } : {}),
      details: {
        streamsDone: { meshpilot: m.initialDone, [ISTIOD_NAME]: peerValue((o) => o.initialDone) },
        perStreamInitialP50Ms: {
          meshpilot: round(m.perStreamInitialP50, 0),
          [ISTIOD_NAME]: peerValue((o) => round(o.perStreamInitialP50, 0)),
        },
        resourceNames: {
          meshpilot: { cds: percentile(m.summaries.cdsNames, 50), eds: percentile(m.summaries.edsNames, 50) },
          [ISTIOD_NAME]: peer.ok
            ? {
                cds: percentile(peer.outcome.summaries.cdsNames, 50),
                eds: percentile(peer.outcome.summaries.edsNames, 50),
              }
            : null,
        },
        failures: {
          meshpilot: m.firstFailure ?? null,
          [ISTIOD_NAME]: peer.ok ? (peer.outcome.firstFailure ?? null) : peer.error.slice(0, 300),
        },
      },
    });
  }
  if (options.scenarios.has('d')) {
    // After a forced full GC in both servers (idle and loaded), so what the push left for the collector does not count.
    const perStream = (o: ServerOutcome): number | null =>
      complete(o) && o.rssForcedGc ? round((o.rssForcedGc.loadedBytes - o.rssForcedGc.idleBytes) / n / KIB, 1) : null;
    const withoutGc = (o: ServerOutcome): number | null =>
      complete(o) ? round((o.rssLoadedBytes - o.rssIdleBytes) / n / KIB, 1) : null;
    const mp = perStream(m);
    const peers = cell(mp, perStream, 2);
    const ratio = peers[ISTIOD_NAME]?.ratio ?? null;
    const heap = m.heapForcedGc;
    const heapPerStream = complete(m) && heap ? round((heap.loadedBytes - heap.idleBytes) / n / KIB, 1) : null;
    const notes = [
      ...(mp !== null && mp <= 0
        ? ['inconclusive: RSS after the forced GC was lower with the streams than without them']
        : []),
      ...(note ? [note] : []),
    ];
    rows.push({
      ...rowHead('d', `d/kube/${n}`, TITLES, TARGETS),
      ...base,
      meshpilot: mp,
      peers,
      // RSS falling as streams were added (≤ 0) says the forced GC did not bring both samples to a steady state.
      pass: mp === null || mp <= 0 ? null : mp <= 50 && (ratio === null || ratio <= 0.5),
      status,
      ...(notes.length > 0 ? { notes: notes.join('; ') } : {}),
      details: {
        rssMiB: { meshpilot: rssMiB(m), [ISTIOD_NAME]: peer.ok ? rssMiB(peer.outcome) : null },
        meshpilotHeapKibPerStreamAfterForcedGc: heapPerStream,
        memoryParts: { meshpilot: idleMemoryParts(m, n, floor) },
        kibPerStreamWithoutForcedGc: { meshpilot: withoutGc(m), [ISTIOD_NAME]: peerValue(withoutGc) },
      },
    });
  }
  if (options.scenarios.has('b')) {
    const p = latencyOf;
    const mp = m.missing > 0 ? null : p(m, 99);
    const peers = cell(mp, (o) => (o.missing > 0 ? null : p(o, 99)), 1);
    const ratio = peers[ISTIOD_NAME]?.ratio ?? null;
    const cpuR = cpuRatio((o) => o.cpuChangesS);
    rows.push({
      ...rowHead('b', `b/kube/${n}`, TITLES, TARGETS),
      ...base,
      meshpilot: mp,
      peers,
      cpuSeconds: cpu((o) => o.cpuChangesS),
      pass:
        m.missing > 0
          ? false
          : ratio === null
            ? null
            : ratio <= 1 && (cpuR === null || cpuR <= 0.5) && (n < 10_000 || (mp !== null && mp <= 1_000)),
      status: m.convergenceTimedOut || !complete(m) ? 'timeout' : 'ok',
      notes:
        'clock from the EndpointSlice update sent to the API server (no file registry in the path)' +
        (note ? `; ${note}` : ''),
      details: {
        changes: options.changes,
        p50Ms: { meshpilot: p(m, 50), [ISTIOD_NAME]: peerValue((o) => p(o, 50)) },
        p99Ms: { meshpilot: p(m, 99), [ISTIOD_NAME]: peerValue((o) => p(o, 99)) },
        maxMs: { meshpilot: p(m, 100), [ISTIOD_NAME]: peerValue((o) => p(o, 100)) },
        neverConverged: { meshpilot: m.missing, [ISTIOD_NAME]: peerValue((o) => o.missing) },
      },
    });
  }
  return rows;
}

/** Why a server that ran has no value: not every stream got its full push, so nothing after it was measured. */
function incompleteNote(o: ServerOutcome, streams: number): string {
  const why = o.firstFailure ? ` (${o.firstFailure.slice(0, 200)})` : '';
  return `${ISTIOD_NAME}: ${o.initialDone.toLocaleString('en-US')} of ${streams.toLocaleString('en-US')} streams got the full push${why}, so it has no value in this row`;
}
