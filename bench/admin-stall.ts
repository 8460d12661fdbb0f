/**
 * Admin-under-load benchmark (issue #13 point 7): how long meshpilot's event loop stalls while it
 * serves /debug/syncz (and the /ui's page of it) to a fleet of connected proxies.
 * meshpilot runs in its own process on a generated mesh; `--streams` simulated Envoys (the bench's
 * load clients, CDS wildcard + EDS for every service) connect and take their initial push. Then,
 * `--requests` times, the bench GETs the endpoint while it probes /healthz back to back: the longest
 * /healthz answer during the request is the stall (an answer cannot come while the loop is busy), the
 * idle probe time before the request is the floor. Bodies are counted, not parsed.
 * Run: node --import tsx bench/admin-stall.ts [--streams N] [--services N] [--requests N] [--label NAME]
 * The result is merged into bench/admin-stall-results.json under the label (e.g. before / after).
 */
import { request } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nowMs, percentile, sleep } from './clock.ts';
import { REPO_ROOT } from './child-process.ts';
import { withTimeout, type BenchContext } from './scenarios/context.ts';
import { connectFleet, startMeshpilotUnderTest } from './scenarios/servers.ts';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' },
    services: { type: 'string', default: '100' },
    requests: { type: 'string', default: '5' },
    paths: { type: 'string', default: '/debug/syncz,/debug/syncz?limit=100' },
    label: { type: 'string', default: 'after' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench', 'admin-stall-results.json') },
  },
});
const streams = Number(values.streams);
const services = Number(values.services);
const requests = Number(values.requests);
const paths = values.paths.split(',').filter((p) => p !== '');
const REQUEST_TIMEOUT_MS = 60_000;
const PROBE_LIMIT = 100_000;

interface Fetched {
  readonly status: number;
  readonly bytes: number;
  readonly ms: number;
}

/** GET `url`, counting the body's bytes without keeping them. */
function get(url: string): Promise<Fetched> {
  const started = nowMs();
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: nowMs() - started }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Probes /healthz back to back until `done()`; returns each probe's time (bounded in count). */
async function probeUntil(adminUrl: string, done: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!done() && times.length < PROBE_LIMIT) times.push((await get(`${adminUrl}/healthz`)).ms);
  return times;
}

function round(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value * 10) / 10;
}

async function measure(adminUrl: string, path: string): Promise<Record<string, unknown>> {
  const stalls: number[] = [];
  const idle: number[] = [];
  const totals: number[] = [];
  let bytes = 0;
  let status = 0;
  for (let i = 0; i < requests; i += 1) {
    const idleUntil = nowMs() + 300;
    idle.push(...(await probeUntil(adminUrl, () => nowMs() >= idleUntil)));
    let finished = false;
    const fetching = get(`${adminUrl}${path}`).finally(() => (finished = true));
    const probes = await probeUntil(adminUrl, () => finished);
    const fetched = await fetching;
    stalls.push(Math.max(0, ...probes));
    totals.push(fetched.ms);
    bytes = fetched.bytes;
    status = fetched.status;
    await sleep(200);
  }
  return {
    path,
    status,
    bodyBytes: bytes,
    /** Longest /healthz answer while the request was served, per request: p50 and max over requests. */
    stallMs: { p50: round(percentile(stalls, 50)), max: round(Math.max(...stalls)) },
    /** /healthz answer time with no admin request in flight (the floor of the probe). */
    idleProbeMs: { p50: round(percentile(idle, 50)), max: round(Math.max(...idle)) },
    requestMs: { p50: round(percentile(totals, 50)), max: round(Math.max(...totals)) },
  };
}

const workDir = await mkdtemp(join(tmpdir(), 'meshpilot-admin-stall-'));
const context: BenchContext = {
  quick: false,
  workDir,
  log: (message) => process.stderr.write(`${message}\n`),
  streamsPerWorker: 2_500,
};
try {
  const rows = await withTimeout('admin stall', 900_000, async (cleanup) => {
    const shape = { services, kubeClusters: 3, endpointsPerKubeCluster: 10 };
    const under = await startMeshpilotUnderTest(context, cleanup, 'admin-stall', shape);
    const { status, timedOut } = await connectFleet(
      context,
      cleanup,
      { port: under.server.xdsPort, pid: under.server.pid },
      { streams, tracked: [], timeoutMs: 600_000 },
    );
    if (timedOut || status.initialDone !== streams)
      throw new Error(`only ${status.initialDone} of ${streams} streams took their initial push`);
    context.log(`  ${streams} proxies connected and synced`);
    const measured: Record<string, unknown>[] = [];
    for (const path of paths) {
      const row = await measure(under.server.adminUrl, path);
      context.log(`  ${JSON.stringify(row)}`);
      measured.push(row);
    }
    return measured;
  });
  const previous = await readFile(values.out, 'utf8').then(
    (text) => JSON.parse(text) as Record<string, unknown>,
    () => ({}) as Record<string, unknown>,
  );
  const result = {
    ...previous,
    benchmark: 'admin-event-loop-stall',
    [values.label]: {
      date: new Date().toISOString(),
      node: process.version,
      loadAverage: loadavg()[0],
      proxies: streams,
      services,
      kubeClusters: 3,
      requestsPerPath: requests,
      rows,
    },
  };
  await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await rm(workDir, { recursive: true, force: true });
}
