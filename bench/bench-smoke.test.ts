import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convergenceLatency } from './convergence.ts';
import { serviceLayout } from './generate-mesh.ts';
import { runPushSuite, type PushSuiteResult } from './scenarios/push-suite.ts';

/**
 * The bench's tiniest configuration of scenarios (a) and (b), end to end (meshpilot process,
 * recording, baseline process, load-client workers). Correctness only, never timings.
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
      },
      150_000,
    );
  }, 180_000);

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('every stream of both servers got and ACKed the full CDS + EDS push', () => {
    expect(
      result.rows.map((r) => r.status),
      log.join('\n'),
    ).toEqual(['ok', 'ok']);
    for (const outcome of [result.meshpilot!, result.baseline!]) {
      expect(outcome.failed, `${outcome.kind}: ${outcome.firstFailure ?? ''}`).toBe(0);
      expect(outcome.initialDone).toBe(STREAMS);
      expect(Object.keys(outcome.summaries.names ?? {})).toHaveLength(STREAMS);
    }
  });

  it('meshpilot and the baseline delivered the same resource names to each stream, and EDS covered every service', () => {
    const expectedEds = Array.from({ length: SERVICES }, (_, i) => serviceLayout(i).envoyCluster).sort();
    const meshpilotNames = result.meshpilot!.summaries.names!;
    const baselineNames = result.baseline!.summaries.names!;
    for (const [index, names] of Object.entries(meshpilotNames)) {
      expect(names.eds).toEqual(expectedEds);
      expect(names.cds).toEqual(expect.arrayContaining(expectedEds));
      expect(baselineNames[Number(index)]).toEqual(names);
    }
    expect(result.rows.find((r) => r.scenario === 'a')?.details?.sameResourceNames).toBe(true);
  });

  it('after one endpoint change every subscribed stream ACKed new content for the changed cluster', () => {
    for (const outcome of [result.meshpilot!, result.baseline!]) {
      expect(outcome.missing, outcome.kind).toBe(0);
      expect(outcome.latencies, outcome.kind).toHaveLength(STREAMS);
    }
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
