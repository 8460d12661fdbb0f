import { rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { binRuns, profileContext } from './profile-setup.ts';
import { nowMs, percentile, sleep } from './clock.ts';
import type { TrackedChange } from './fleet-protocol.ts';
import {
  connectInspector,
  inspectorUrl,
  summarizeProfile,
  type CpuProfile,
  type InspectorSession,
} from './inspector.ts';
import { startMeshpilot } from './meshpilot-server.ts';
import { startIstiod } from './peers/istiod.ts';
import type { KubeMesh } from './peers/kube-mesh.ts';
import { cpuSeconds } from './proc-stats.ts';
import { metricSum } from './prom-metrics.ts';
import { churnPlan, type PlannedChange } from './scenarios/churn.ts';
import { Cleanup, type BenchContext } from './scenarios/context.ts';
import { startKubeMesh } from './scenarios/kube-suite.ts';
import { changePlan } from './scenarios/push-suite.ts';
import { connectFleet, DEFAULT_DEBOUNCE, waitConvergence } from './scenarios/servers.ts';

/**
 * Where meshpilot's CPU goes while it reads real API servers (issue #16, rows b/kube and c/kube):
 * `node --import tsx bench/kube-churn-profile.ts [--streams 200] [--services 50] [--changes 4]
 * [--rate 100] [--duration 5] [--rounds N] [--bin NAME=PATH ...] [--no-profile] [--istiod]`.
 * One set of real API servers (interop/kube-apiserver) holds the bench's generated mesh for the whole
 * run; each round starts every --bin in turn (alternating builds under the same load) on it, connects a
 * fresh fleet, then (b) makes one EndpointSlice update at a time and waits for every stream's ACK, and
 * (c) sends the churn plan of bench/scenarios/kube-churn.ts at --rate for --duration. Each phase has its
 * own CPU profile (through the inspector, the window only), CPU-seconds of the process and, from
 * meshpilot's /metrics, the watch events received and the debounced pushes made, so CPU per event and
 * per push can be read. With --istiod, istiod (interop/istiod) runs the same phases after the builds of each round
 * (CPU-seconds and the same counters from its /metrics, no profile).
 */

interface PhaseResult {
  readonly cpuSeconds: number;
  readonly events: number;
  /** Debounced snapshot builds (pilot_debounce_time count). */
  readonly pushes: number;
  /** xDS responses sent (pilot_xds_pushes). */
  readonly responses: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly neverConverged: number;
  readonly loadAverage: number;
  readonly top?: readonly string[];
  readonly [key: string]: unknown;
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      streams: { type: 'string', default: '200' },
      services: { type: 'string', default: '50' },
      endpoints: { type: 'string', default: '4' },
      changes: { type: 'string', default: '4' },
      rate: { type: 'string', default: '100' },
      duration: { type: 'string', default: '5' },
      out: { type: 'string', default: join(tmpdir(), 'meshpilot-kube-profile') },
      bin: { type: 'string', multiple: true, default: [] },
      rounds: { type: 'string', default: '1' },
      'no-profile': { type: 'boolean', default: false },
      /** Also run istiod (interop/istiod) on the same API servers after the meshpilot builds of each round. */
      istiod: { type: 'boolean', default: false },
      'streams-per-worker': { type: 'string', default: '2500' },
    },
    strict: true,
  });
  const out = values.out!;
  const context = await profileContext(out, 'meshpilot-kube-profile-', Number(values['streams-per-worker']));
  const runs = binRuns(values.bin ?? [], 'run', false);
  const shape = {
    services: Number(values.services),
    kubeClusters: 3,
    endpointsPerKubeCluster: Number(values.endpoints),
  };
  const options = {
    streams: Number(values.streams),
    changes: Number(values.changes),
    rate: Number(values.rate),
    durationS: Number(values.duration),
    profile: !(values['no-profile'] ?? false),
    out,
  };
  const kube = await startKubeMesh(context, shape);
  const summaries: Record<string, unknown>[] = [];
  try {
    const bPlan = changePlan(shape, options.changes);
    const cPlan = churnPlan(shape, options.rate * options.durationS, 10);
    await kube.prepareToggles([...bPlan, ...cPlan]);
    for (let round = 0; round < Number(values.rounds); round += 1) {
      for (const run of runs) {
        const label = `${run.name}-${round + 1}`;
        context.log(`=== ${label}${run.path ? ` (${run.path})` : ''}, load ${loadavg()[0]!.toFixed(1)}`);
        const summary = await profileOnce(context, kube, { ...options, label, bin: run.path }, bPlan, cPlan);
        summaries.push(summary);
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }
      if (values.istiod) {
        const label = `istiod-${round + 1}`;
        context.log(`=== ${label}, load ${loadavg()[0]!.toFixed(1)}`);
        const summary = await istiodOnce(context, kube, { ...options, label }, bPlan, cPlan);
        summaries.push(summary);
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }
    }
  } finally {
    await kube.stop();
    await rm(context.workDir, { recursive: true, force: true });
  }
  await writeFile(join(out, 'summary.json'), JSON.stringify(summaries, null, 2));
  for (const s of summaries) {
    const b = s['b'] as PhaseResult;
    const c = s['c'] as PhaseResult;
    context.log(
      `${String(s['label'])}: b p99 ${b.p99Ms?.toFixed(0)} ms, CPU ${b.cpuSeconds.toFixed(2)} s (load ${b.loadAverage.toFixed(1)}); ` +
        `c p99 ${c.p99Ms?.toFixed(0)} ms, CPU ${c.cpuSeconds.toFixed(2)} s over ${c.events} events / ${c.pushes} pushes ` +
        `= ${((c.cpuSeconds * 1000) / Math.max(1, c.pushes)).toFixed(1)} ms per push (load ${c.loadAverage.toFixed(1)})`,
    );
  }
}

interface Counters {
  events: number;
  pushes: number;
  responses: number;
}

/** The same metric names in meshpilot's and istiod's /metrics. */
async function counters(baseUrl: string): Promise<Counters> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return {
    events: metricSum(text, 'pilot_k8s_reg_events'),
    pushes: metricSum(text, 'pilot_debounce_time_count'),
    responses: metricSum(text, 'pilot_xds_pushes'),
  };
}

interface RunOptions {
  readonly streams: number;
  readonly rate: number;
  readonly durationS: number;
  readonly profile: boolean;
  readonly out: string;
  readonly label: string;
}

type Plans = {
  readonly b: readonly { kubeCluster: number; service: number }[];
  readonly c: readonly PlannedChange[];
};

async function profileOnce(
  context: BenchContext,
  kube: KubeMesh,
  options: RunOptions & { bin: string | undefined },
  bPlan: Plans['b'],
  cPlan: Plans['c'],
): Promise<Record<string, unknown>> {
  const cleanup = new Cleanup();
  try {
    const configPath = join(context.workDir, `${options.label}.yaml`);
    await kube.writeMeshpilotConfig(configPath, { debounce: DEFAULT_DEBOUNCE, logLevel: 'info' });
    const server = await startMeshpilot(configPath, 180_000, {
      nodeFlags: ['--inspect=127.0.0.1:0'],
      ...(options.bin ? { bin: options.bin } : {}),
    });
    cleanup.defer(() => server.stop());
    const url = inspectorUrl(server.tail());
    if (url === undefined) throw new Error(`no inspector URL in meshpilot's output: ${server.tail().join(' | ')}`);
    const inspector = await connectInspector(url);
    cleanup.defer(() => inspector.close());
    const phases = await runPhases(
      context,
      cleanup,
      kube,
      { port: server.xdsPort, pid: server.pid, metricsUrl: server.adminUrl },
      options.profile ? inspector : undefined,
      options,
      { b: bPlan, c: cPlan },
    );
    return { label: options.label, bin: options.bin ?? 'this checkout', ...phases };
  } finally {
    await cleanup.run();
  }
}

/** istiod on the same API servers, the same fleet and plans (no CPU profile: CPU-seconds and counters only). */
async function istiodOnce(
  context: BenchContext,
  kube: KubeMesh,
  options: RunOptions,
  bPlan: Plans['b'],
  cPlan: Plans['c'],
): Promise<Record<string, unknown>> {
  const cleanup = new Cleanup();
  try {
    const peer = await startIstiod(kube, join(context.workDir, options.label), 180_000);
    cleanup.defer(() => peer.stop());
    const phases = await runPhases(
      context,
      cleanup,
      kube,
      { port: peer.xdsPort, pid: peer.pid, metricsUrl: peer.metricsUrl },
      undefined,
      options,
      { b: bPlan, c: cPlan },
    );
    return { label: options.label, bin: peer.version, ...phases };
  } finally {
    await cleanup.run();
  }
}

async function runPhases(
  context: BenchContext,
  cleanup: Cleanup,
  kube: KubeMesh,
  target: { port: number; pid: number; metricsUrl: string },
  inspector: InspectorSession | undefined,
  options: RunOptions,
  plans: Plans,
): Promise<{ fullPushMs: number; b: PhaseResult; c: PhaseResult }> {
  const resourceOf = (service: number): string => kube.mesh.services[service]!.envoyCluster;
  const tracked = [
    ...new Set([...plans.b.map((p) => resourceOf(p.service)), ...plans.c.map((p) => resourceOf(p.service))]),
  ];
  const initial = await connectFleet(context, cleanup, target, {
    streams: options.streams,
    tracked,
    timeoutMs: 120_000,
  });
  if (initial.fullPushMs === undefined) throw new Error(`full push incomplete: ${initial.status.firstFailure ?? ''}`);
  context.log(`full push to ${options.streams} streams in ${Math.round(initial.fullPushMs)} ms`);
  await sleep(1_500);
  const phase = async (name: string, body: () => Promise<TrackedChange[]>): Promise<PhaseResult> => {
    if (inspector) {
      await inspector.call('Profiler.enable');
      await inspector.call('Profiler.setSamplingInterval', { interval: 200 });
      await inspector.call('Profiler.start');
    }
    const before = await counters(target.metricsUrl);
    const cpuBefore = (await cpuSeconds(target.pid)) ?? 0;
    const changes = await body();
    const { result } = await waitConvergence(initial.fleet, changes, 60_000);
    const cpu = ((await cpuSeconds(target.pid)) ?? 0) - cpuBefore;
    const after = await counters(target.metricsUrl);
    let top: string[] | undefined;
    if (inspector) {
      const { profile } = await inspector.call<{ profile: CpuProfile }>('Profiler.stop');
      await writeFile(join(options.out, `${options.label}.${name}.cpuprofile`), JSON.stringify(profile));
      top = summarizeProfile(profile, 40).map(
        (l) => `${l.selfMs.toFixed(0).padStart(7)} ${l.totalMs.toFixed(0).padStart(7)}  ${l.name}`,
      );
      await writeFile(
        join(options.out, `${options.label}.${name}.top.txt`),
        `  self   total  (ms)\n${top.join('\n')}\n`,
      );
    }
    const latencies = result.latencies;
    return {
      cpuSeconds: cpu,
      events: after.events - before.events,
      pushes: after.pushes - before.pushes,
      responses: after.responses - before.responses,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      neverConverged: result.perChange.reduce((sum, c) => sum + c.missing, 0),
      loadAverage: loadavg()[0]!,
      ...(top ? { top: top.slice(0, 25) } : {}),
    };
  };
  // (b): one EndpointSlice update at a time, each waited for.
  const b = await phase('b', async () => {
    const changes: TrackedChange[] = [];
    for (const p of plans.b) {
      const writtenAt = await kube.toggleEndpoint(p.kubeCluster, p.service);
      const change = { resource: resourceOf(p.service), writtenAt };
      await waitConvergence(initial.fleet, [change], 30_000);
      changes.push(change);
      await sleep(500);
    }
    return changes;
  });
  await sleep(1_000);
  // (c): the churn plan at the rate, writes not waited for one by one (as bench/scenarios/kube-churn.ts).
  const c = await phase('c', async () => {
    const changes: TrackedChange[] = [];
    const inFlight = new Set<Promise<unknown>>();
    const intervalMs = 1_000 / options.rate;
    const start = nowMs();
    let applied = 0;
    for (const change of plans.c) {
      const wait = start + applied * intervalMs - nowMs();
      if (wait > 1) await sleep(wait);
      const writtenAt = nowMs();
      const write: Promise<unknown> = kube
        .toggleEndpoint(change.kubeCluster, change.service)
        .catch((error: unknown) => context.log(`churn write failed: ${String(error)}`))
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
      if (inFlight.size >= 32) await Promise.race(inFlight);
      if (change.tracked) changes.push({ resource: resourceOf(change.service), writtenAt });
      applied += 1;
    }
    await Promise.all(inFlight);
    return changes;
  });
  await initial.fleet.close();
  return { fullPushMs: initial.fullPushMs, b, c };
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
