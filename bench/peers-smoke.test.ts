import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceLayout } from './generate-mesh.ts';
import { ISTIOD_NAME } from './peers/istiod.ts';
import type { PeerOutcome, ServerOutcome } from './scenarios/push-suite.ts';
import { runKubeChurn } from './scenarios/kube-churn.ts';
import { runKubeStuckReader } from './scenarios/kube-stuck-reader.ts';
import type { ScenarioRow } from './scenarios/result.ts';
import { runKubeSuite, startKubeMesh, type KubeSuiteResult } from './scenarios/kube-suite.ts';
import type { KubeMesh } from './peers/kube-mesh.ts';

/**
 * The bench's istiod peer at its tiniest, end to end: three real API servers holding the generated
 * mesh, meshpilot reading them through its kube registry, then istiod (pilot-discovery built from the
 * pinned istio.io/istio) reading the same clusters, each serving a fleet of simulated sidecars, and
 * one EndpointSlice update converging on both. Correctness only, never timings.
 */

const SERVICES = 4;
const STREAMS = 8;
const STUCK = 3;

function ok(peer: PeerOutcome | undefined): ServerOutcome {
  if (!peer?.ok) throw new Error(`istiod did not run: ${peer?.error ?? 'no outcome'}`);
  return peer.outcome;
}

describe('bench smoke: meshpilot and istiod on the same real API servers', () => {
  let workDir: string;
  let result: KubeSuiteResult;
  let kube: KubeMesh | undefined;
  let churn: ScenarioRow[] = [];
  let stuck: ScenarioRow[] = [];
  const log: string[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'meshpilot-bench-peers-'));
    const context = { quick: true, workDir, streamsPerWorker: 4, log: (line: string) => log.push(line) };
    kube = await startKubeMesh(context, { services: SERVICES, kubeClusters: 3, endpointsPerKubeCluster: 2 });
    result = await runKubeSuite(
      context,
      kube,
      {
        streams: STREAMS,
        changes: 1,
        initialTimeoutMs: 90_000,
        convergenceTimeoutMs: 30_000,
        keepNames: true,
        scenarios: new Set(['a', 'b', 'd']),
      },
      280_000,
    );
    churn = await runKubeChurn(
      context,
      kube,
      {
        streams: STREAMS,
        ratePerSecond: 20,
        durationS: 2,
        trackEvery: 5,
        initialTimeoutMs: 60_000,
        convergenceTimeoutMs: 30_000,
      },
      200_000,
    );
    stuck = await runKubeStuckReader(
      context,
      kube,
      { stuckStreams: STUCK, changes: 3, intervalMs: 250, initialTimeoutMs: 60_000 },
      200_000,
    );
  }, 700_000);

  afterAll(async () => {
    await kube?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('both servers gave every stream its full push, with an EDS resource for every generated service', () => {
    expect(
      result.rows.map((r) => `${r.id} ${r.status}`),
      log.join('\n'),
    ).toEqual([`a/kube/${STREAMS} ok`, `d/kube/${STREAMS} ok`, `b/kube/${STREAMS} ok`]);
    const expectedEds = Array.from({ length: SERVICES }, (_, i) => serviceLayout(i).envoyCluster);
    for (const outcome of [result.meshpilot!, ok(result.istiod)]) {
      expect(outcome.failed, `${outcome.kind}: ${outcome.firstFailure ?? ''}`).toBe(0);
      expect(outcome.initialDone, outcome.kind).toBe(STREAMS);
      for (const names of Object.values(outcome.summaries.names ?? {}))
        expect(names.eds, outcome.kind).toEqual(expect.arrayContaining(expectedEds));
      expect(Object.keys(outcome.summaries.names ?? {}), outcome.kind).toHaveLength(STREAMS);
    }
  });

  it('one EndpointSlice update reached every stream of both servers', () => {
    for (const outcome of [result.meshpilot!, ok(result.istiod)]) {
      expect(outcome.missing, outcome.kind).toBe(0);
      expect(outcome.latencies, outcome.kind).toHaveLength(STREAMS);
    }
  });

  it("rows carry both servers' values (RSS after a forced GC in each), istiod's version, meshpilot / istiod ratios and CPU-seconds", () => {
    for (const row of result.rows) {
      const peer = row.peers?.[ISTIOD_NAME];
      expect(peer?.version, row.id).toMatch(
        /^istiod \(pilot-discovery\) istio\.io\/istio v0\.0\.0-20260827124520-eed52ebb66ad/,
      );
      expect(peer?.value, row.id).not.toBeNull();
      expect(row.meshpilot, row.id).not.toBeNull();
      if (row.meshpilot !== null && peer?.value) expect(peer.ratio).toBeCloseTo(row.meshpilot / peer.value, 1);
      if (row.scenario !== 'd')
        for (const server of ['meshpilot', ISTIOD_NAME])
          expect(row.cpuSeconds?.[server], `${row.id} ${server}`).toBeGreaterThanOrEqual(0);
    }
  });

  it('under churn through the API servers both servers converged on every tracked update, CPU of each reported', () => {
    expect(
      churn.map((r) => `${r.id} ${r.status}`),
      log.join('\n'),
    ).toEqual(['c/kube/cpu ok', 'c/kube/cpu-per-push ok', 'c/kube/convergence ok']);
    const details = churn[0]!.details as {
      neverConverged: Record<string, number | null>;
      appliedChanges: Record<string, number | null>;
      debouncedPushes: Record<string, number | null>;
    };
    expect(details.neverConverged).toEqual({ meshpilot: 0, [ISTIOD_NAME]: 0 });
    // Each server pushed at least once for the changes, counted from its own pilot_debounce_time.
    for (const server of ['meshpilot', ISTIOD_NAME])
      expect(details.debouncedPushes[server], server).toBeGreaterThanOrEqual(1);
    const perPush = churn[1]!;
    const cpu = churn[0]!.cpuSeconds!;
    expect(perPush.meshpilot).toBeCloseTo(((cpu.meshpilot ?? 0) * 1000) / details.debouncedPushes.meshpilot!, -1);
    expect(details.appliedChanges[ISTIOD_NAME]).toBe(details.appliedChanges.meshpilot);
    for (const row of churn) {
      expect(row.meshpilot, row.id).not.toBeNull();
      expect(row.peers?.[ISTIOD_NAME]?.value, row.id).not.toBeNull();
    }
    expect(churn[0]!.cpuSeconds?.[ISTIOD_NAME]).toBeGreaterThan(0);
  });

  it('with stuck streams while Service updates come, both servers pushed to the witness and every paused stream caught up', () => {
    expect(
      stuck.map((r) => `${r.id} ${r.status}`),
      log.join('\n'),
    ).toEqual(['e/kube/stuck ok']);
    const row = stuck[0]!;
    const rounds = {
      meshpilot: row.details?.withStuckReaders,
      [ISTIOD_NAME]: (row.details?.[ISTIOD_NAME] as Record<string, unknown> | undefined)?.withStuckReaders,
    } as Record<string, Record<string, number | null> | undefined>;
    for (const [server, round] of Object.entries(rounds)) {
      expect(round?.witnessPushes, `${server}: ${log.join('\n')}`).toBeGreaterThan(0);
      expect(round?.pausedStreamsCaughtUp, server).toBe(STUCK);
      expect(round?.pausedStreamResponsesAfterReadingAgain, server).toBeGreaterThan(0);
    }
    expect(row.peers?.[ISTIOD_NAME]?.value).not.toBeNull();
    expect(row.peers?.[ISTIOD_NAME]?.version).toMatch(/^istiod \(pilot-discovery\)/);
    expect(row.cpuSeconds?.[ISTIOD_NAME]).toBeGreaterThanOrEqual(0);
  });
});
