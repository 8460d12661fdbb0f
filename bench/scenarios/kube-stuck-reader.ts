import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../common/error-message.ts';
import { nowMs } from '../clock.ts';
import { startMeshpilot } from '../meshpilot-server.ts';
import { ISTIOD_NAME, startIstiod } from '../peers/istiod.ts';
import type { KubeMesh } from '../peers/kube-mesh.ts';
import { failureOf, withTimeout, type BenchContext } from './context.ts';
import { failedRow, type ScenarioRow } from './result.ts';
import { DEFAULT_DEBOUNCE } from './servers.ts';
import { metricValue } from '../prom-metrics.ts';
import { runStuckRounds, stuckRow, type StuckOutcome, type StuckPeer } from './stuck-rounds.ts';

/**
 * Scenario (e) with meshpilot and istiod each reading the same real API servers (bench/peers/kube-mesh.ts):
 * stuck streams while service changes keep coming, each one Service update sent to an API server (its
 * second port added or removed), which both servers answer with a full push. Same fleet, same changes,
 * same rounds (bench/scenarios/stuck-rounds.ts); RSS of each server process read the same way (VmRSS).
 * The changes are spaced beyond both servers' 100 ms debounce quiet time, so each is its own push.
 */

export interface KubeStuckOptions {
  readonly stuckStreams: number;
  readonly changes: number;
  readonly intervalMs: number;
  readonly initialTimeoutMs: number;
}

export async function runKubeStuckReader(
  context: BenchContext,
  kube: KubeMesh,
  options: KubeStuckOptions,
  timeoutMs: number,
): Promise<ScenarioRow[]> {
  const services = kube.mesh.shape.services;
  const base = {
    id: 'e/kube/stuck',
    scenario: 'e' as const,
    title: `${options.stuckStreams} stuck readers while ${options.changes} Service updates are pushed, real API servers`,
    streams: options.stuckStreams + 1,
    services,
    metric: 'server RSS growth',
    unit: 'MiB',
    target: `bounded, ≤ ${ISTIOD_NAME}'s (within 16 MiB)`,
  };
  // Both servers get the same sequence of Service updates: the i-th toggles service i's second port in kube cluster kc-1.
  const change = (i: number): Promise<void> => kube.toggleServicePort(0, i % services);
  let meshpilot: StuckOutcome | undefined;
  let peer: StuckPeer | undefined;
  try {
    await withTimeout('stuck reader on real API servers', timeoutMs, async (cleanup) => {
      const root = join(context.workDir, 'kube-stuck');
      await mkdir(root, { recursive: true });
      const configPath = join(root, 'meshpilot-kube.yaml');
      await kube.writeMeshpilotConfig(configPath, { debounce: DEFAULT_DEBOUNCE, logLevel: 'info' });
      let started = nowMs();
      const server = await startMeshpilot(configPath, 180_000);
      cleanup.defer(() => server.stop());
      context.log(`  meshpilot (kube registry) up in ${Math.round(nowMs() - started)} ms (pid ${server.pid})`);
      meshpilot = await runStuckRounds(
        context,
        cleanup,
        {
          kind: 'meshpilot',
          port: server.xdsPort,
          pid: server.pid,
          change,
          blockedStreams: () => metricValue(server.adminUrl, 'meshpilot_xds_blocked_streams'),
        },
        options,
      ).catch((error: unknown) => {
        throw new Error(`meshpilot: ${errorMessage(error)}; its last lines: ${server.tail().join(' | ')}`);
      });
      await server.stop();
      // Undo meshpilot's changes (no server is running), so istiod starts from the same objects and gets the same updates.
      for (let i = 0; i < 2 * options.changes; i += 1) await change(i);
      try {
        started = nowMs();
        const istiod = await startIstiod(kube, join(root, 'istiod'), 180_000);
        cleanup.defer(() => istiod.stop());
        context.log(`  ${ISTIOD_NAME} up and synced in ${Math.round(nowMs() - started)} ms (pid ${istiod.pid})`);
        const outcome = await runStuckRounds(
          context,
          cleanup,
          { kind: ISTIOD_NAME, port: istiod.xdsPort, pid: istiod.pid, change },
          options,
        );
        peer = { name: ISTIOD_NAME, ok: true, version: istiod.version, outcome };
        await istiod.stop();
      } catch (error: unknown) {
        peer = { name: ISTIOD_NAME, ok: false, error: errorMessage(error) };
        context.log(`  ${ISTIOD_NAME}: ${peer.error}`);
      }
    });
  } catch (error: unknown) {
    const { status, message } = failureOf(error);
    context.log(`  stuck reader on real API servers: ${status}: ${message}`);
    if (!meshpilot) return [failedRow(base, status, message)];
  }
  peer ??= { name: ISTIOD_NAME, ok: false, error: 'not run: the scenario ended before istiod' };
  return [stuckRow(base, options, meshpilot!, peer, { atOrBelowPeer: true })];
}
