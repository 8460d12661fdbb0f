import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convergenceLatency } from './convergence.ts';
import { serviceLayout } from './generate-mesh.ts';
import { runPushSuite, type PushSuiteResult, type ServerOutcome } from './scenarios/push-suite.ts';
import type { ScenarioRow } from './scenarios/result.ts';
import { runStuckReader } from './scenarios/stuck-reader.ts';

/**
 * The bench's tiniest configuration of scenarios (a) and (b), end to end (meshpilot process,
 * recording, baseline process, go-control-plane peer process, meshpilot `serve --processes 2`,
 * load-client workers). Correctness only, never timings.
 */

const SERVICES = 5;
const STREAMS = 10;

describe('bench smoke: scenarios (a) and (b) at 5 services × 10 streams', () => {
  let workDir: string;
  let result: PushSuiteResult;
  const log: string[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'meshpilot-bench-smoke-'));
    result = await runPushSuite(
      { quick: true, workDir, streamsPerWorker: 5, log: (line) => log.push(line) },
      {
        shape: { services: SERVICES, kubeClusters: 3, endpointsPerKubeCluster: 2 },
        streams: STREAMS,
        changes: 1,
        initialTimeoutMs: 60_000,
        convergenceTimeoutMs: 30_000,
        keepNames: true,
        scenarios: new Set(['a', 'b']),
        processes: 2,
      },
      200_000,
    );
  }, 240_000);

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  function peerOutcome(): ServerOutcome {
    const peer = result.peer;
    if (!peer?.ok) throw new Error(`the go-control-plane peer did not run: ${peer?.error ?? 'no outcome'}`);
    return peer.outcome;
  }

  it('every stream of the three servers got and ACKed the full CDS + EDS push', () => {
    expect(
      result.rows.map((r) => [r.id, r.status]),
      log.join('\n'),
    ).toEqual([
      ['a/10', 'ok'],
      ['b/10', 'ok'],
      ['a/10/processes-2', 'ok'],
      ['b/10/processes-2', 'ok'],
    ]);
    for (const outcome of [result.meshpilot!, result.baseline!, peerOutcome()]) {
      expect(outcome.failed, `${outcome.kind}: ${outcome.firstFailure ?? ''}`).toBe(0);
      expect(outcome.initialDone).toBe(STREAMS);
      expect(Object.keys(outcome.summaries.names ?? {})).toHaveLength(STREAMS);
    }
  });

  it('meshpilot, the baseline and the peer delivered the same resource names to each stream, and EDS covered every service', () => {
    const expectedEds = Array.from({ length: SERVICES }, (_, i) => serviceLayout(i).envoyCluster).sort();
    const meshpilotNames = result.meshpilot!.summaries.names!;
    const baselineNames = result.baseline!.summaries.names!;
    const peerNames = peerOutcome().summaries.names!;
    for (const [index, names] of Object.entries(meshpilotNames)) {
      expect(names.eds).toEqual(expectedEds);
      expect(names.cds).toEqual(expect.arrayContaining(expectedEds));
      expect(baselineNames[Number(index)]).toEqual(names);
      expect(peerNames[Number(index)]).toEqual(names);
    }
    expect(result.rows.find((r) => r.scenario === 'a')?.details?.sameResourceNames).toBe(true);
  });

  it('after one endpoint change every subscribed stream ACKed new content for the changed cluster', () => {
    for (const outcome of [result.meshpilot!, result.baseline!, peerOutcome()]) {
      expect(outcome.missing, outcome.kind).toBe(0);
      expect(outcome.latencies, outcome.kind).toHaveLength(STREAMS);
    }
  });

  it('reports the peer with its version, meshpilot / peer ratios and every server CPU-seconds', () => {
    const fullPush = result.rows.find((r) => r.scenario === 'a')!;
    const peer = fullPush.peers?.['go-control-plane'];
    expect(peer?.version).toMatch(/^go-control-plane v\d+\.\d+\.\d+/);
    expect(peer?.value).toBeGreaterThan(0);
    expect(peer?.ratio).toBeCloseTo(fullPush.meshpilot! / peer!.value!, 1);
    for (const row of result.rows)
      for (const server of ['meshpilot', 'baseline', 'go-control-plane'])
        expect(row.cpuSeconds?.[server], `${row.id} ${server}`).toBeGreaterThanOrEqual(0);
  });

  it('meshpilot serve --processes 2 served every stream the full push and the change, measured over its process tree', () => {
    const run = result.processes;
    if (!run?.ok) throw new Error(`serve --processes 2 did not run: ${run?.error ?? 'no outcome'}`);
    const outcome = run.outcome;
    expect(outcome.failed, outcome.firstFailure ?? '').toBe(0);
    expect(outcome.initialDone).toBe(STREAMS);
    expect(outcome.missing).toBe(0);
    expect(outcome.latencies).toHaveLength(STREAMS);
    // The primary and its two workers: CPU and RSS are summed over all three.
    expect(outcome.processCount).toBe(3);
    expect(outcome.rssIdleBytes).toBeGreaterThan(result.meshpilot!.rssIdleBytes);
    const fullPush = result.rows.find((r) => r.id === 'a/10/processes-2')!;
    expect(fullPush.meshpilot).toBe(Math.round(outcome.fullPushMs!));
    expect(fullPush.peers?.['go-control-plane']?.ratio).toBeCloseTo(
      fullPush.meshpilot! / fullPush.peers!['go-control-plane']!.value!,
      1,
    );
    expect(fullPush.cpuSeconds?.meshpilot).toBeGreaterThan(0);
    expect(fullPush.notes).toMatch(/^1 process: \d+ ms/);
  });
});

describe('bench smoke: scenario (e) on meshpilot and the go-control-plane peer, 3 stuck streams', () => {
  let workDir: string;
  let rows: ScenarioRow[] = [];
  let failed: ScenarioRow[] = [];
  const log: string[] = [];
  const STUCK = 3;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'meshpilot-bench-stuck-'));
    const context = { quick: true, workDir, streamsPerWorker: 4, log: (line: string) => log.push(line) };
    const options = {
      shape: { services: SERVICES, kubeClusters: 3, endpointsPerKubeCluster: 2 },
      stuckStreams: STUCK,
      changes: 4,
      intervalMs: 100,
      initialTimeoutMs: 60_000,
    };
    rows = await runStuckReader(context, options, 150_000);
    failed = await runStuckReader(context, { ...options, initialTimeoutMs: 1 }, 60_000);
  }, 240_000);

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  type PhaseDetails = Record<string, number | null>;
  const stuckRound = (details: Record<string, unknown> | undefined): PhaseDetails =>
    (details?.withStuckReaders ?? {}) as PhaseDetails;

  it('both servers pushed the changes to the witness, and every paused stream caught up to its version after reading again', () => {
    expect(
      rows.map((r) => `${r.id} ${r.status}`),
      log.join('\n'),
    ).toEqual(['e/stuck ok']);
    const row = rows[0]!;
    const peerDetails = row.details?.['go-control-plane'] as Record<string, unknown> | undefined;
    for (const [server, round] of [
      ['meshpilot', stuckRound(row.details)],
      ['go-control-plane', stuckRound(peerDetails)],
    ] as const) {
      expect(round.witnessPushes, `${server}: ${log.join('\n')}`).toBeGreaterThan(0);
      expect(round.pausedStreamsCaughtUp, server).toBe(STUCK);
      expect(round.pausedStreamResponsesAfterReadingAgain, server).toBeGreaterThan(0);
    }
  });

  it("the row has both servers' RSS growth, the peer's version, meshpilot / peer and CPU-seconds of both", () => {
    const row = rows[0]!;
    const peer = row.peers?.['go-control-plane'];
    expect(peer?.version).toMatch(/^go-control-plane v\d+\.\d+\.\d+/);
    expect(row.meshpilot).not.toBeNull();
    expect(peer?.value).not.toBeNull();
    if (peer?.value && peer.value > 0) expect(peer.ratio).toBeCloseTo(row.meshpilot! / peer.value, 1);
    for (const server of ['meshpilot', 'go-control-plane']) expect(row.cpuSeconds?.[server]).toBeGreaterThanOrEqual(0);
    expect(row.notes).toMatch(/go-control-plane: paused streams got [\d.]+ responses on reading again/);
  });

  it('a server whose fleet does not get its full push in time is one error row saying so, no numbers', () => {
    expect(failed.map((r) => `${r.id} ${r.status}`)).toEqual(['e/stuck error']);
    expect(failed[0]!.meshpilot).toBeNull();
    expect(failed[0]!.notes).toMatch(/^meshpilot: the initial push did not complete/);
  });
});

describe('convergenceLatency', () => {
  const entry = (ackAt: number, fingerprint: string) => ({ ackAt, fingerprint });

  it('is the first ACK after the change whose content differs from what the stream held', () => {
    expect(convergenceLatency([entry(10, 'a'), entry(120, 'b')], 100)).toBe(20);
  });

  it('does not count a resend of the old content, nor anything before the change', () => {
    expect(convergenceLatency([entry(10, 'a'), entry(110, 'a'), entry(150, 'b')], 100)).toBe(50);
    expect(convergenceLatency([entry(10, 'a'), entry(50, 'b')], 100)).toBeUndefined();
    expect(convergenceLatency(undefined, 100)).toBeUndefined();
  });
});
