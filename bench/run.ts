import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './child-process.ts';
import { nowMs } from './clock.ts';
import { PEER_NAME } from './peer-process.ts';
import { machineInfo, rewriteMarkdown, writeReport, type PartTime } from './report.ts';
import { runChurn, type ChurnOptions } from './scenarios/churn.ts';
import { runKubeChurn } from './scenarios/kube-churn.ts';
import { runKubeSuite, startKubeMesh } from './scenarios/kube-suite.ts';
import type { KubeMesh } from './peers/kube-mesh.ts';
import type { MeshShape } from './generate-mesh.ts';
import { elapsedLog, type BenchContext } from './scenarios/context.ts';
import { runPushSuite } from './scenarios/push-suite.ts';
import type { ScenarioRow } from './scenarios/result.ts';
import { runKubeStuckReader, type KubeStuckOptions } from './scenarios/kube-stuck-reader.ts';
import { runStuckReader, type StuckReaderOptions } from './scenarios/stuck-reader.ts';

/**
 * `npm run bench [-- --quick] [-- --scenario a,b,c,d,e]`: runs the scenarios against meshpilot and
 * the bare grpc-js baseline, writes bench/results.json and BENCHMARKS.md.
 */

type ScenarioId = 'a' | 'b' | 'c' | 'd' | 'e';
const ALL: readonly ScenarioId[] = ['a', 'b', 'c', 'd', 'e'];

/** One push suite (a, b, d on one fleet): its streams, its mesh, and why that size. */
export interface PushSuiteScale {
  readonly streams: number;
  readonly shape: MeshShape;
  /** Also measure meshpilot `serve --processes N` on the same mesh, fleet size and changes (rows `…/processes-N`). */
  readonly processes?: number;
}

export interface Scale {
  /** (a), (b), (d) on manifest folders: meshpilot, the baseline and go-control-plane, each suite on its own mesh. */
  readonly pushSuites: readonly PushSuiteScale[];
  /** Streams of (a), (b), (d) with meshpilot and istiod on real API servers (bench/scenarios/kube-suite.ts). */
  readonly kubeStreams: readonly number[];
  /**
   * The mesh the real API servers hold: fewer pods than the manifest folders, because every object goes
   * through an API server (and etcd) on the same cores (a pod is a create plus a status write).
   */
  readonly kubeShape: MeshShape;
  readonly edsChanges: number;
  readonly churn: Omit<ChurnOptions, 'initialTimeoutMs' | 'convergenceTimeoutMs'>;
  readonly stuck: Omit<StuckReaderOptions, 'initialTimeoutMs'>;
  /** (e) with meshpilot and istiod on the real API servers: Service updates spaced beyond both debounces. */
  readonly kubeStuck: Omit<KubeStuckOptions, 'initialTimeoutMs'>;
}

const MESH = { kubeClusters: 3, endpointsPerKubeCluster: 10 } as const;

/**
 * The sizes of a run. Full: 10,000 streams on a 100-service mesh (~0.3 MB full push per stream, so
 * ~3 GB through loopback per server) for convergence, push and RSS per idle stream at the target's
 * stream count, and the 1,000-service mesh (~3 MB per stream) at 1,000 streams; the 10,000 × 1,000
 * of earlier runs was ~30 GB per server and ~17 GiB of meshpilot RSS, more than the machine has.
 * BENCHMARKS.md's Scale section gives the reasons and each part's measured time.
 */
export function scaleFor(quick: boolean): Scale {
  const small = { services: 100, ...MESH };
  return {
    pushSuites: quick
      ? [
          { streams: 200, shape: small },
          { streams: 1_000, shape: small, processes: 2 },
        ]
      : [
          { streams: 1_000, shape: { services: 1_000, ...MESH } },
          { streams: 10_000, shape: small, processes: 2 },
        ],
    kubeStreams: quick ? [200] : [1_000, 10_000],
    kubeShape: { services: quick ? 50 : 100, kubeClusters: 3, endpointsPerKubeCluster: 4 },
    edsChanges: quick ? 2 : 3,
    churn: {
      shape: small,
      streams: quick ? 200 : 1_000,
      ratePerSecond: 100,
      durationS: quick ? 5 : 30,
      trackEvery: 10,
    },
    stuck: {
      shape: { ...MESH, services: quick ? 100 : 200 },
      stuckStreams: quick ? 100 : 200,
      changes: quick ? 60 : 150,
      intervalMs: 50,
    },
    kubeStuck: { stuckStreams: quick ? 100 : 200, changes: quick ? 20 : 60, intervalMs: 250 },
  };
}

function parseScenarios(value: string | undefined): Set<ScenarioId> {
  if (value === undefined) return new Set(ALL);
  const ids = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  const unknown = ids.filter((id) => !(ALL as readonly string[]).includes(id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new Error(
      `MESHPILOT_BENCH_ERR_ARGS: --scenario takes a comma-separated list of ${ALL.join(', ')}; got "${value}"`,
    );
  }
  return new Set(ids as ScenarioId[]);
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      'streams-per-worker': { type: 'string', default: '2500' },
      'report-only': { type: 'boolean', default: false },
      'no-istiod': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run bench -- [--quick] [--scenario a,b,c,d,e] [--streams-per-worker N] [--no-istiod] [--report-only]\n',
    );
    return 0;
  }
  const paths = { json: join(REPO_ROOT, 'bench', 'results.json'), markdown: join(REPO_ROOT, 'BENCHMARKS.md') };
  if (values['report-only']) {
    await rewriteMarkdown(paths);
    process.stdout.write(`rewrote BENCHMARKS.md from bench/results.json\n`);
    return 0;
  }
  const scenarios = parseScenarios(values.scenario);
  const streamsPerWorker = Number(values['streams-per-worker']);
  if (!Number.isInteger(streamsPerWorker) || streamsPerWorker < 1 || streamsPerWorker > 10_000) {
    throw new Error(
      `MESHPILOT_BENCH_ERR_ARGS: --streams-per-worker must be an integer 1..10000, got "${values['streams-per-worker']}"`,
    );
  }
  const quick = values.quick ?? false;
  const scale = scaleFor(quick);
  const loadAverageAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const workDir = await mkdtemp(join(tmpdir(), 'meshpilot-bench-'));
  const started = nowMs();
  const context: BenchContext = {
    quick,
    workDir,
    streamsPerWorker,
    log: elapsedLog(started),
  };
  const rows: ScenarioRow[] = [];
  // Each part's wall time, for the report's Scale section (what a full run costs, and where).
  const parts: PartTime[] = [];
  const timed = async <T>(part: string, work: () => Promise<T>): Promise<T> => {
    const partStarted = nowMs();
    try {
      return await work();
    } finally {
      const seconds = Math.round((nowMs() - partStarted) / 1000);
      parts.push({ part, seconds, loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100 });
      context.log(`  (${part}: ${seconds} s)`);
    }
  };
  // Real API servers holding the mesh, started once for every suite that compares meshpilot with istiod.
  let kube: Promise<KubeMesh> | undefined;
  const kubeMesh = (): Promise<KubeMesh> => {
    if (kube === undefined) {
      context.log(`real API servers: ${JSON.stringify(scale.kubeShape)}`);
      kube = timed(
        `real API servers loaded: ${scale.kubeShape.services.toLocaleString('en-US')} services × ${scale.kubeShape.kubeClusters} kube clusters`,
        () => startKubeMesh(context, scale.kubeShape),
      );
    }
    return kube;
  };
  const count = (n: number): string => n.toLocaleString('en-US');
  try {
    const suite = new Set([...scenarios].filter((s): s is 'a' | 'b' | 'd' => s === 'a' || s === 'b' || s === 'd'));
    if (suite.size > 0) {
      for (const { streams, shape, processes } of scale.pushSuites) {
        const servers = `meshpilot, baseline, ${PEER_NAME}${processes ? `, meshpilot --processes ${processes}` : ''}`;
        context.log(`scenarios ${[...suite].join(', ')}: ${count(streams)} streams, ${count(shape.services)} services`);
        // The full push's bytes grow with streams × services (~3 KB per stream and service): its bound
        // does too (400 s for 3 GB: on a loaded machine meshpilot needed more than 250 s at 10,000 streams).
        // A server's share of the suite: its start, fleet, full push, recording, RSS samples, changes.
        const initialTimeoutMs = Math.max(60_000, (streams * Math.max(100, shape.services)) / 2.5);
        const perServerMs = quick ? 45_000 : initialTimeoutMs + 120_000;
        const result = await timed(
          `${suite.has('a') ? 'a' : ''}${suite.has('b') ? 'b' : ''}${suite.has('d') ? 'd' : ''} at ${count(streams)} streams × ${count(shape.services)} services (${servers})`,
          () =>
            runPushSuite(
              context,
              {
                shape,
                streams,
                changes: scale.edsChanges,
                initialTimeoutMs,
                convergenceTimeoutMs: quick ? 15_000 : 30_000,
                scenarios: suite,
                ...(processes ? { processes } : {}),
              },
              perServerMs * (processes ? 4 : 3),
            ),
        );
        rows.push(...result.rows);
      }
    }
    if (suite.size > 0 && !values['no-istiod']) {
      for (const streams of scale.kubeStreams) {
        const mesh = await kubeMesh();
        context.log(
          `scenarios ${[...suite].join(', ')} on real API servers, meshpilot and istiod: ${count(streams)} streams`,
        );
        const result = await timed(
          `${[...suite].join('')} on real API servers at ${count(streams)} streams × ${count(scale.kubeShape.services)} services (meshpilot, istiod)`,
          () =>
            runKubeSuite(
              context,
              mesh,
              {
                streams,
                changes: scale.edsChanges,
                initialTimeoutMs: Math.max(60_000, streams * 25),
                convergenceTimeoutMs: quick ? 15_000 : 30_000,
                scenarios: suite,
              },
              quick ? 240_000 : streams >= 10_000 ? 900_000 : 360_000,
            ),
        );
        rows.push(...result.rows);
      }
    }
    if (scenarios.has('c')) {
      const churn = scale.churn;
      const what = `${churn.ratePerSecond} changes/s for ${churn.durationS} s, ${count(churn.streams)} streams`;
      context.log(`scenario c: ${what}`);
      rows.push(
        ...(await timed(
          `c: ${what} × ${count(churn.shape.services)} services (meshpilot, baseline, ${PEER_NAME})`,
          () =>
            runChurn(
              context,
              { ...churn, initialTimeoutMs: 120_000, convergenceTimeoutMs: 30_000 },
              quick ? 90_000 : 540_000,
            ),
        )),
      );
      if (!values['no-istiod']) {
        const mesh = await kubeMesh();
        context.log(`scenario c on real API servers, meshpilot and istiod: ${count(churn.streams)} streams`);
        rows.push(
          ...(await timed(
            `c on real API servers: ${what} × ${count(scale.kubeShape.services)} services (meshpilot, istiod)`,
            () =>
              runKubeChurn(
                context,
                mesh,
                { ...churn, initialTimeoutMs: 120_000, convergenceTimeoutMs: 30_000 },
                quick ? 180_000 : 480_000,
              ),
          )),
        );
      }
    }
    if (scenarios.has('e')) {
      const what = `${scale.stuck.stuckStreams} stuck readers, ${scale.stuck.changes} service changes`;
      context.log(`scenario e: ${what}`);
      rows.push(
        ...(await timed(`e: ${what} × ${count(scale.stuck.shape.services)} services (meshpilot, ${PEER_NAME})`, () =>
          runStuckReader(context, { ...scale.stuck, initialTimeoutMs: 60_000 }, quick ? 150_000 : 360_000),
        )),
      );
      if (!values['no-istiod']) {
        context.log(
          `scenario e on real API servers, meshpilot and istiod: ${scale.kubeStuck.stuckStreams} stuck readers, ${scale.kubeStuck.changes} Service updates`,
        );
        const mesh = await kubeMesh();
        rows.push(
          ...(await timed(
            `e on real API servers: ${scale.kubeStuck.stuckStreams} stuck readers × ${count(mesh.mesh.shape.services)} services (meshpilot, istiod)`,
            () =>
              runKubeStuckReader(
                context,
                mesh,
                { ...scale.kubeStuck, initialTimeoutMs: 60_000 },
                quick ? 240_000 : 600_000,
              ),
          )),
        );
      }
    }
  } finally {
    await kube?.then((k) => k.stop()).catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
  const order = (row: ScenarioRow): number => ALL.indexOf(row.scenario) * 1e6 + row.streams;
  rows.sort((x, y) => order(x) - order(y));
  const registry = JSON.parse(
    await readFile(join(REPO_ROOT, 'bench', 'registry-results.json'), 'utf8').catch(() => '{}'),
  ) as { rssBytesPer1000Pods?: unknown };
  const report = {
    capacityInputs:
      typeof registry.rssBytesPer1000Pods === 'number'
        ? { registryRssBytesPer1000Pods: registry.rssBytesPer1000Pods }
        : {},
    date: new Date().toISOString(),
    mode: quick ? ('quick' as const) : ('full' as const),
    durationS: Math.round((nowMs() - started) / 1000),
    machine: machineInfo(),
    loadAverageAtStart,
    scale: { ...scale, streamsPerWorker, scenarios: [...scenarios] },
    parts,
    results: rows,
  };
  await writeReport(report, paths);
  context.log(`wrote bench/results.json and BENCHMARKS.md (${rows.length} rows, ${report.durationS} s)`);
  for (const row of rows) {
    context.log(
      `  ${row.id.padEnd(14)} meshpilot ${String(row.meshpilot ?? '—').padStart(8)} ${row.unit.padEnd(5)} baseline ${String(row.baseline ?? '—').padStart(8)}` +
        Object.entries(row.peers ?? {})
          .map(([name, peer]) => `  ${name} ${String(peer.value ?? '—').padStart(8)}`)
          .join('') +
        `  ${row.status}${row.pass === false ? ' FAIL' : row.pass ? ' pass' : ''}`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
