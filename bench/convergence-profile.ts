import { readFile, rm, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { binRuns, profileContext } from './profile-setup.ts';
import { nowMs, percentile, sleep } from './clock.ts';
import {
  connectInspector,
  inspectorUrl,
  summarizeProfile,
  type CpuProfile,
  type InspectorSession,
} from './inspector.ts';
import { KIB, mappedRss, treeCpuSeconds, treeRssBytes } from './proc-stats.ts';
import { Cleanup, type BenchContext } from './scenarios/context.ts';
import { connectFleet, DEFAULT_DEBOUNCE, waitConvergence } from './scenarios/servers.ts';
import { GeneratedMesh } from './generate-mesh.ts';
import { startMeshpilot } from './meshpilot-server.ts';

/**
 * Where meshpilot's main thread spends one-change convergence, and what an idle stream holds:
 * `node --import tsx bench/convergence-profile.ts --streams N [--services S] [--changes K]
 * [--heap-snapshot] [--env KEY=VALUE]`. meshpilot runs in its own process with the inspector open;
 * after the fleet's full push the bench forces a GC and reads RSS (with the fleet idle), then
 * profiles the CPU from the first change to the last one's convergence only, and writes the
 * profile, its top functions and (with --heap-snapshot) heap snapshots before the fleet and with it
 * idle under --out.
 */

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      streams: { type: 'string', default: '1000' },
      services: { type: 'string', default: '100' },
      changes: { type: 'string', default: '3' },
      out: { type: 'string', default: join(tmpdir(), 'meshpilot-profile') },
      label: { type: 'string', default: 'run' },
      'heap-snapshot': { type: 'boolean', default: false },
      /** Keep meshpilot's default HTTP/2 keepalive (30 s / 10 s) instead of turning it off. */
      keepalive: { type: 'boolean', default: false },
      'no-profile': { type: 'boolean', default: false },
      /** Also CPU-profile the fleet's full push (cold caches), written as LABEL.full-push.cpuprofile. */
      'profile-full-push': { type: 'boolean', default: false },
      env: { type: 'string', multiple: true, default: [] },
      /** NAME=PATH of a meshpilot entry (bin/meshpilot-ts.js of another checkout), repeatable: runs alternate between them. */
      bin: { type: 'string', multiple: true, default: [] },
      rounds: { type: 'string', default: '1' },
      'streams-per-worker': { type: 'string', default: '2500' },
    },
    strict: true,
  });
  const streams = Number(values.streams);
  const services = Number(values.services);
  const changes = Number(values.changes);
  const env = Object.fromEntries(
    (values.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const options = {
    streams,
    services,
    changes,
    env,
    out: values.out!,
    heapSnapshot: values['heap-snapshot'] ?? false,
    keepalive: values.keepalive ?? false,
    profile: !(values['no-profile'] ?? false),
    profileFullPush: values['profile-full-push'] ?? false,
  };
  const out = values.out!;
  const context = await profileContext(out, 'meshpilot-profile-', Number(values['streams-per-worker']));
  // NAME=PATH[:N]: the meshpilot entry to run, with `serve --processes N` when N is given.
  const runs = binRuns(values.bin ?? [], values.label!, true);
  const summaries: Summary[] = [];
  try {
    for (let round = 0; round < Number(values.rounds); round += 1)
      for (const run of runs) {
        const label = `${run.name}-${round + 1}`;
        context.log(`=== ${label}${run.path ? ` (${run.path}, ${run.processes} process(es))` : ''}`);
        summaries.push(
          await profileOnce(context, {
            ...options,
            label,
            processes: run.processes,
            ...(run.path ? { bin: run.path } : {}),
          }),
        );
      }
  } finally {
    await rm(context.workDir, { recursive: true, force: true });
  }
  await writeFile(join(out, `${values.label!}.summary.json`), JSON.stringify(summaries, null, 2));
  for (const summary of summaries)
    context.log(
      `${summary.label}: full push ${summary.fullPushMs} ms; convergence p50 ${summary.convergence.p50Ms?.toFixed(0)} / p99 ${summary.convergence.p99Ms?.toFixed(0)} ms; ` +
        `${summary.convergence.neverConverged} stream×change never converged; full push CPU ${summary.fullPushCpuSeconds.toFixed(2)} s; server CPU ${summary.serverCpuSeconds.toFixed(2)} s; ${summary.memory.rssPerStreamKiB.toFixed(1)} KiB RSS, ${summary.memory.heapPerStreamKiB.toFixed(1)} KiB heap per idle stream`,
    );
}

interface ProfileOptions {
  readonly streams: number;
  readonly services: number;
  readonly changes: number;
  readonly env: Record<string, string>;
  readonly out: string;
  readonly label: string;
  readonly heapSnapshot: boolean;
  readonly keepalive: boolean;
  readonly profile: boolean;
  readonly profileFullPush: boolean;
  readonly bin?: string;
  /** `serve --processes N`: the inspector reaches only the primary, so RSS is the tree's without a forced GC and nothing is profiled. */
  readonly processes: number;
}

interface Summary {
  readonly label: string;
  readonly fullPushMs: number;
  /** Server CPU from before the fleet connects until every stream ACKed its full push. */
  readonly fullPushCpuSeconds: number;
  readonly convergence: {
    p50Ms: number | undefined;
    p99Ms: number | undefined;
    maxMs: number | undefined;
    /** Streams × changes that did not converge within 60 s (e.g. a stream closed meanwhile). */
    neverConverged: number;
  };
  readonly serverCpuSeconds: number;
  readonly memory: { rssPerStreamKiB: number; heapPerStreamKiB: number; [key: string]: unknown };
  readonly [key: string]: unknown;
}

async function profileOnce(context: BenchContext, options: ProfileOptions): Promise<Summary> {
  const { streams, services, changes, env, out } = options;
  const cleanup = new Cleanup();
  try {
    const shape = { services, kubeClusters: 3, endpointsPerKubeCluster: 10 };
    const mesh = await GeneratedMesh.write(join(context.workDir, options.label, 'mesh'), shape, {
      debounce: DEFAULT_DEBOUNCE,
      logLevel: 'info',
    });
    if (!options.keepalive) {
      // The simulated fleet (thousands of streams in one Node.js process on a shared machine) can stall
      // past the 10 s ping timeout during a full push, and a stream closed then never converges.
      const config = parse(await readFile(mesh.configPath, 'utf8')) as Record<string, unknown>;
      await writeFile(mesh.configPath, stringify({ ...config, xdsServer: { keepaliveTimeMs: 0 } }));
    }
    const server = await startMeshpilot(mesh.configPath, 180_000, {
      nodeFlags: ['--inspect=127.0.0.1:0'],
      env,
      ...(options.bin ? { bin: options.bin } : {}),
      ...(options.processes > 1 ? { serveArgs: ['--processes', String(options.processes)] } : {}),
    });
    cleanup.defer(() => server.stop());
    const url = inspectorUrl(server.tail());
    if (url === undefined) throw new Error(`no inspector URL in meshpilot's output: ${server.tail().join(' | ')}`);
    const inspector = await connectInspector(url);
    cleanup.defer(() => inspector.close());
    const gcRss = async (): Promise<number> => {
      for (let i = 0; i < 2; i += 1) await inspector.call('HeapProfiler.collectGarbage');
      await sleep(500);
      return (await treeRssBytes(server.pid)) ?? 0;
    };
    const heapUsed = async (): Promise<number> => {
      const result = await inspector.call<{ result: { value: number } }>('Runtime.evaluate', {
        expression: 'process.memoryUsage().heapUsed',
        returnByValue: true,
      });
      return result.result.value;
    };
    const usage = async (): Promise<Record<string, number>> => {
      const result = await inspector.call<{ result: { value: Record<string, number> } }>('Runtime.evaluate', {
        expression: 'process.memoryUsage()',
        returnByValue: true,
      });
      return result.result.value;
    };
    let chunks: string[] = [];
    inspector.on('HeapProfiler.addHeapSnapshotChunk', (params) => chunks.push(String(params['chunk'])));
    // Two snapshots, before the fleet and with it idle: their difference is what the streams hold.
    const heapSnapshot = async (when: string): Promise<void> => {
      chunks = [];
      await inspector.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      const file = join(out, `${options.label}.${when}.heapsnapshot`);
      await writeFile(file, chunks.join(''));
      chunks = [];
      context.log(`heap snapshot: ${file}`);
    };
    const rssBefore = await gcRss();
    context.log(`RSS by mapping before the fleet ${JSON.stringify(await mappedRss(server.pid))}`);
    const heapBefore = await heapUsed();
    const usageBefore = await usage();
    if (options.heapSnapshot) await heapSnapshot('before');
    const plan = Array.from({ length: changes }, (_, i) => ({
      service: Math.floor(((i + 0.5) * services) / changes),
      kubeCluster: i % 3,
    }));
    const tracked = plan.map((p) => mesh.services[p.service]!.envoyCluster);
    const profilePush = options.profileFullPush && options.processes === 1;
    if (profilePush) await startProfiler(inspector);
    const pushCpuBefore = (await treeCpuSeconds(server.pid)) ?? 0;
    const initial = await connectFleet(
      context,
      cleanup,
      { port: server.xdsPort, pid: server.pid },
      {
        streams,
        tracked,
        timeoutMs: Math.max(120_000, streams * 120),
      },
    );
    context.log(
      `${initial.status.initialDone}/${streams} streams got the full push` +
        (initial.fullPushMs !== undefined ? ` in ${Math.round(initial.fullPushMs)} ms` : ' (incomplete)'),
    );
    if (initial.fullPushMs === undefined) throw new Error(`full push incomplete: ${initial.status.firstFailure ?? ''}`);
    // Includes the streams' connecting and the wait for the last ACK, as the full push's time does.
    const fullPushCpuSeconds = ((await treeCpuSeconds(server.pid)) ?? 0) - pushCpuBefore;
    context.log(`server CPU over the full push: ${fullPushCpuSeconds.toFixed(2)} s`);
    if (profilePush) await stopProfiler(inspector, out, `${options.label}.full-push`);
    await sleep(2_000);
    const rssWith = await gcRss();
    context.log(`RSS by mapping with the fleet ${JSON.stringify(await mappedRss(server.pid))}`);
    const heapWith = await heapUsed();
    const usageWith = await usage();
    context.log(`memoryUsage before ${JSON.stringify(usageBefore)}, with streams ${JSON.stringify(usageWith)}`);
    const perStream = (key: string): number => ((usageWith[key] ?? 0) - (usageBefore[key] ?? 0)) / streams / KIB;
    const memory: Record<string, number> & {
      rssPerStreamKiB: number;
      heapPerStreamKiB: number;
      rssBeforeMiB: number;
      rssWithStreamsMiB: number;
    } = {
      rssBeforeMiB: rssBefore / 2 ** 20,
      rssWithStreamsMiB: rssWith / 2 ** 20,
      rssPerStreamKiB: (rssWith - rssBefore) / streams / KIB,
      heapPerStreamKiB: (heapWith - heapBefore) / streams / KIB,
      heapExternalPerStreamKiB: perStream('heapUsed') + perStream('external'),
      arrayBuffersPerStreamKiB: perStream('arrayBuffers'),
    };
    context.log(
      `after GC: RSS ${memory.rssBeforeMiB.toFixed(1)} → ${memory.rssWithStreamsMiB.toFixed(1)} MiB, ` +
        `${memory.rssPerStreamKiB.toFixed(1)} KiB RSS and ${memory.heapPerStreamKiB.toFixed(1)} KiB heap per idle stream`,
    );
    if (options.heapSnapshot) await heapSnapshot('with-streams');
    const profile = options.profile && options.processes === 1;
    if (profile) await startProfiler(inspector);
    const cpuBefore = (await treeCpuSeconds(server.pid)) ?? 0;
    const latencies: number[] = [];
    let neverConverged = 0;
    for (let i = 0; i < changes; i += 1) {
      const change = { resource: tracked[i]!, writtenAt: nowMs() };
      await mesh.toggleEndpoint(plan[i]!.kubeCluster, plan[i]!.service);
      const { result, timedOut } = await waitConvergence(initial.fleet, [change], 60_000);
      latencies.push(...result.latencies);
      neverConverged += result.perChange[0]?.missing ?? 0;
      context.log(
        `change ${i + 1}: p50 ${percentile(result.latencies, 50)?.toFixed(0)} ms, p99 ${percentile(result.latencies, 99)?.toFixed(0)} ms` +
          (timedOut ? ' (timeout)' : ''),
      );
      await sleep(500);
    }
    const cpu = ((await treeCpuSeconds(server.pid)) ?? 0) - cpuBefore;
    const summary: Summary = {
      label: options.label,
      bin: options.bin ?? 'this checkout',
      processes: options.processes,
      streams,
      services,
      changes,
      env,
      fullPushMs: Math.round(initial.fullPushMs),
      fullPushCpuSeconds,
      convergence: {
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: percentile(latencies, 100),
        neverConverged,
      },
      serverCpuSeconds: cpu,
      memory,
    };
    if (profile) await stopProfiler(inspector, out, options.label);
    // What the streams leave once they are gone (after a forced GC): the allocator's share of the push.
    await initial.fleet.close();
    await sleep(2_000);
    memory['rssAfterCloseMiB'] = (await gcRss()) / 2 ** 20;
    memory['pushLeftInAllocatorMiB'] = memory['rssAfterCloseMiB'] - memory.rssBeforeMiB;
    const usageAfterClose = await usage();
    memory['heapTotalAfterCloseMiB'] = (usageAfterClose['heapTotal'] ?? 0) / 2 ** 20;
    const mapped = await mappedRss(server.pid);
    if (mapped !== undefined)
      for (const [kind, bytes] of Object.entries(mapped)) memory[`${kind}AfterCloseMiB`] = bytes / 2 ** 20;
    context.log(`memoryUsage after close ${JSON.stringify(usageAfterClose)}, RSS by mapping ${JSON.stringify(mapped)}`);
    context.log(
      `after the streams closed and a GC: RSS ${memory['rssAfterCloseMiB'].toFixed(1)} MiB (${memory['pushLeftInAllocatorMiB'].toFixed(1)} MiB over before the fleet)`,
    );
    await writeFile(join(out, `${options.label}.json`), JSON.stringify(summary, null, 2));
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary;
  } finally {
    await cleanup.run();
  }
}

async function startProfiler(inspector: InspectorSession): Promise<void> {
  await inspector.call('Profiler.enable');
  await inspector.call('Profiler.setSamplingInterval', { interval: 200 });
  await inspector.call('Profiler.start');
}

/** Writes NAME.cpuprofile and its top functions (NAME.top.txt, and on stdout). */
async function stopProfiler(inspector: InspectorSession, out: string, name: string): Promise<void> {
  const { profile: cpuProfile } = await inspector.call<{ profile: CpuProfile }>('Profiler.stop');
  await writeFile(join(out, `${name}.cpuprofile`), JSON.stringify(cpuProfile));
  const top = summarizeProfile(cpuProfile, 45);
  const lines = top.map((l) => `${l.selfMs.toFixed(0).padStart(7)} ${l.totalMs.toFixed(0).padStart(7)}  ${l.name}`);
  await writeFile(join(out, `${name}.top.txt`), `  self   total  (ms)\n${lines.join('\n')}\n`);
  process.stdout.write(`${name}:\n  self   total  (ms)\n${lines.join('\n')}\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
