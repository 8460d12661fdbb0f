import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { capacityMarkdown, type CapacityInputs } from './capacity.ts';
import type { IdleMemoryParts } from './scenarios/idle-memory.ts';
import type { ScenarioRow } from './scenarios/result.ts';

/** bench/results.json (machine-readable) and BENCHMARKS.md (the table, naming the machine). */

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly node: string;
  readonly os: string;
  /** 1-minute load average when the report was written: other work on the machine skews every number. */
  readonly loadAverage1m: number;
}

export interface BenchReport {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly durationS: number;
  readonly machine: MachineInfo;
  /** 1-minute load average before the first scenario (the bench's own processes were not running yet). */
  readonly loadAverageAtStart: number;
  readonly scale: Record<string, unknown>;
  readonly results: readonly ScenarioRow[];
  /** Measured inputs of the capacity section that come from other benchmarks. */
  readonly capacityInputs?: CapacityInputs;
  /** Wall time of each part of the run, in order. */
  readonly parts?: readonly PartTime[];
}

export interface PartTime {
  readonly part: string;
  readonly seconds: number;
  /** 1-minute load average when the part ended. */
  readonly loadAverage1m: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

function cell(value: number | null, unit: string): string {
  if (value === null) return '—';
  const text = Math.abs(value) >= 100 ? value.toFixed(0) : String(value);
  return `${text} ${unit}`;
}

function verdict(row: ScenarioRow): string {
  if (row.status !== 'ok' && row.pass !== false) return row.status;
  if (row.pass === true) return 'pass';
  if (row.pass === false) return row.status === 'ok' ? '**FAIL**' : `**FAIL** (${row.status})`;
  return row.notes?.startsWith('inconclusive') ? 'inconclusive' : '—';
}

function ratioCell(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? '—' : `${ratio}×`;
}

/** Names of the peers (real xDS servers) that any row has, in first-seen order. */
export function peerNames(rows: readonly ScenarioRow[]): string[] {
  return [...new Set(rows.flatMap((row) => Object.keys(row.peers ?? {})))];
}

export function markdownTable(rows: readonly ScenarioRow[]): string {
  const peers = peerNames(rows);
  const peerHeads = peers.map((p) => ` ${p} | meshpilot / ${p} |`).join('');
  const lines = [
    `| | Scenario | Streams | Services | Metric | meshpilot | baseline | meshpilot / baseline |${peerHeads} Target | Result |`,
    `|---|---|---:|---:|---|---:|---:|---:|${peers.map(() => '---:|---:|').join('')}---|---|`,
  ];
  for (const row of rows) {
    const peerCells = peers
      .map((p) => ` ${cell(row.peers?.[p]?.value ?? null, row.unit)} | ${ratioCell(row.peers?.[p]?.ratio)} |`)
      .join('');
    lines.push(
      `| ${row.scenario} | ${row.title} | ${row.streams.toLocaleString('en-US')} | ${row.services.toLocaleString('en-US')} | ${row.metric} | ${cell(row.meshpilot, row.unit)} | ${cell(row.baseline, row.unit)} | ${ratioCell(row.ratio)} |${peerCells} ${row.target} | ${verdict(row)} |`,
    );
  }
  return lines.join('\n');
}

/** Server CPU-seconds per row that measured them, one column per server. */
export function cpuTable(rows: readonly ScenarioRow[]): string {
  const measured = rows.filter((row) => row.cpuSeconds !== undefined);
  if (measured.length === 0) return '';
  const servers = [...new Set(measured.flatMap((row) => Object.keys(row.cpuSeconds ?? {})))];
  const lines = [
    `| Row | Over | ${servers.join(' | ')} | ${servers
      .filter((s) => s !== 'meshpilot')
      .map((s) => `meshpilot / ${s}`)
      .join(' | ')} |`,
    `|---|---|${servers.map(() => '---:|').join('')}${servers
      .filter((s) => s !== 'meshpilot')
      .map(() => '---:|')
      .join('')}`,
  ];
  const over: Record<ScenarioRow['scenario'], string> = {
    a: 'the full push',
    b: 'the changes, until converged',
    c: 'the changes, until converged',
    d: '',
    e: "the stuck round's changes",
  };
  for (const row of measured) {
    const cpu = row.cpuSeconds ?? {};
    const m = cpu.meshpilot ?? null;
    const values = servers.map((s) => cell(cpu[s] ?? null, 's')).join(' | ');
    const ratios = servers
      .filter((s) => s !== 'meshpilot')
      .map((s) => {
        const other = cpu[s] ?? null;
        return ratioCell(m === null || other === null || other === 0 ? null : Math.round((m / other) * 100) / 100);
      })
      .join(' | ');
    lines.push(`| \`${row.id}\` | ${over[row.scenario]} | ${values} | ${ratios} |`);
  }
  return lines.join('\n');
}

/** Each peer's version, as it reported it. */
function peerVersions(rows: readonly ScenarioRow[]): string {
  const versions = new Map<string, string>();
  for (const row of rows)
    for (const [name, peer] of Object.entries(row.peers ?? {}))
      if (peer.version !== undefined && !versions.has(name)) versions.set(name, peer.version);
  return [...versions].map(([name, version]) => (version.startsWith(name) ? version : `${name} ${version}`)).join('; ');
}

interface RssDetails {
  readonly meshpilot?: { idle?: number; withStreams?: number; afterStreamsClosed?: number };
  readonly baseline?: { idle?: number; withStreams?: number; afterStreamsClosed?: number };
}

/** (d): what the RSS figures say beyond the per-stream number (derived from the row's own details). */
function rssNote(row: ScenarioRow): string | undefined {
  const rss = row.details?.rssMiB as RssDetails | undefined;
  if (row.scenario !== 'd' || row.meshpilot === null || row.baseline === null || !rss?.meshpilot) return undefined;
  const over = Math.round((row.meshpilot - row.baseline) * 10) / 10;
  const closed = rss.meshpilot.afterStreamsClosed;
  return (
    `meshpilot − baseline = ${over} KiB per stream (the baseline keeps no per-stream state of its own)` +
    // Rows with their parts show what the streams left in the table below; older results say it here.
    (closed !== undefined && row.details?.memoryParts === undefined
      ? `; meshpilot's RSS after every stream closed was ${closed} MiB (with streams: ${rss.meshpilot.withStreams} MiB), so most of the figure is what the push left in the allocator`
      : '')
  );
}

function kib(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${value} KiB`;
}

function mibCell(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${value} MiB`;
}

/** (d) in parts, one line per server of each row that has them (issue #16: RSS apart from the allocator's leftovers). */
export function idleMemoryTable(rows: readonly ScenarioRow[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    const parts = row.details?.memoryParts as Record<string, IdleMemoryParts | undefined> | undefined;
    if (row.scenario !== 'd' || parts === undefined) continue;
    for (const [server, p] of Object.entries(parts)) {
      if (p === undefined) continue;
      const floor = p.http2Floor;
      const arena = p.mainArenaMiB;
      lines.push(
        `| \`${row.id}\` | ${server} | ${kib(p.rssKiB)} | ${kib(p.heapKiB)} | ${kib(p.externalKiB)} (${kib(p.arrayBuffersKiB)}) | ${kib(p.restKiB)} | ${floor ? `${floor.rssKiB} / ${floor.nativeKiB} KiB` : '—'} | ${mibCell(p.leftAfterCloseMiB)} | ${arena ? `${mibCell(arena.idle)} → ${mibCell(arena.loaded)} → ${mibCell(arena.afterClose)}` : '—'} |`,
      );
    }
  }
  if (lines.length === 0) return '';
  return `### RSS per idle stream, in parts (d)

Each server sampled after a forced full GC three times: before its fleet connected, with the fleet idle after
its full push, and after every stream closed. Per stream: (iii) RSS; (i) what its JavaScript holds (V8 heap in
use; external memory, of which ArrayBuffers); the rest of RSS (native memory: nghttp2 sessions, socket and
C++ objects, and what the allocator kept). (ii) Node.js HTTP/2's own memory per idle connection, measured
on a bare node:http2 server (no gRPC library, no state of its own) with as many connections, each with one
stream and one small request: RSS / its native part; every Node.js server pays it, one HTTP/2 connection per
stream. (iv) RSS after every stream closed over RSS before they came: what the full push (N × every
response through the allocator) and the closed connections left behind, not held by any stream; glibc's main
arena (\`[heap]\`) is where most of it stays.

| Row | Server | (iii) RSS per idle stream | (i) V8 heap | (i) external (ArrayBuffers) | rest of RSS | (ii) node:http2 per connection: RSS / native | (iv) RSS left after the streams closed | glibc main arena: before → idle → closed |
|---|---|---:|---:|---:|---:|---:|---:|---|
${lines.join('\n')}
`;
}

function notesOf(rows: readonly ScenarioRow[]): string {
  const notes = rows.flatMap((r) =>
    [r.notes, rssNote(r)].filter((n): n is string => n !== undefined).map((n) => `- \`${r.id}\`: ${n}`),
  );
  return notes.length > 0 ? `\nNotes on rows:\n${notes.join('\n')}\n` : '';
}

export function benchmarksMarkdown(report: BenchReport): string {
  const m = report.machine;
  return `# meshpilot benchmarks

Generated by \`npm run bench${report.mode === 'quick' ? ' -- --quick' : ''}\` on ${report.date} (${report.mode} run, ${report.durationS} s).
Every number below comes from that one run; \`bench/results.json\` holds the same results with details
(p50, max, RSS before/after, counts). Re-run to measure your own machine.

## Machine

| CPU | Cores | RAM | Node.js | OS | Load average (1 min) at start / end |
|---|---:|---:|---|---|---|
| ${m.cpuModel} | ${m.cores} | ${m.ramGiB} GiB | ${m.node} | ${m.os} | ${report.loadAverageAtStart ?? '—'} / ${m.loadAverage1m ?? '—'} |

${
  (report.loadAverageAtStart ?? 0) > m.cores
    ? `**A shared machine.** The load average was ${report.loadAverageAtStart} on ${m.cores} cores before the first scenario
started: other work was running beside the bench, so absolute times are inflated and noisy; every server ran under
the same conditions in turn, so compare ratios.

`
    : ''
}${
    m.cores <= 2
      ? `**Only ${m.cores} cores.** meshpilot (or the baseline), the load-client workers that simulate the proxies and the
orchestrator all share them, so every time below includes the clients' own work competing for the same
CPUs. The baseline pays exactly the same client costs, which is why the ratio is the number to watch.
`
      : ''
  }
## Results

${markdownTable(report.results)}
${notesOf(report.results)}${idleMemoryTable(report.results) ? `\n${idleMemoryTable(report.results)}` : ''}${
    peerNames(report.results).length > 0
      ? `
Peers: ${peerVersions(report.results) || peerNames(report.results).join(', ')}.

### Server CPU-seconds

utime + stime of each server process over what the row measures (/proc/<pid>/stat).

${cpuTable(report.results)}
`
      : ''
  }
${capacityMarkdown(report.results, report.capacityInputs)}
## What is measured

- **Servers.** meshpilot runs as users run it, in its own process: \`node bin/meshpilot.js serve --config …\`
  on generated manifest folders (3 kube clusters kc-1/kc-2/kc-3 on networks network-1/network-2/network-1,
  each service present in every kube cluster with 10 ready mTLS pods, one east-west gateway per network),
  default debounce (100 ms quiet, 1 s max), log level info. The **baseline** is a bare \`@grpc/grpc-js\` server
  (bench/baseline-server.ts) that replays the DiscoveryResponses recorded from that meshpilot, byte for byte,
  one recorded set per proxy view; it answers ACKs with nothing, and for a change sends one pre-built EDS
  response per view (in (c), once per 100 ms with every resource changed since). It caps bytes written but not yet flushed at 2 GiB (grpc-js copies each message).
- **go-control-plane peer.** An ADS server built the way go-control-plane's users build one
  (interop/gcp-peer, Go; its version is under the results): CDS from its \`SnapshotCache\` (one snapshot
  per proxy view, ADS mode), EDS from one \`LinearCache\` per view (it sends only the
  ClusterLoadAssignments that changed), muxed by type and view, on grpc-go. It serves the same recorded
  responses as the baseline, unmarshalled into go-control-plane's types (the library marshals each
  resource once and builds every response from those bytes); a change is a new version of the resource
  handed to \`LinearCache.UpdateResources\` (in (c) batched every 100 ms, as for the baseline). Go uses
  both cores; meshpilot serves on one Node.js main thread.
- **meshpilot \`serve --processes 2\`** (rows \`…/processes-2\`, issue #16 point 3). After the peer, in the same
  push suite: \`meshpilot serve --processes 2\` on the same manifest folders (two workers behind the same
  ports, node:cluster handing each new connection to the next; each worker a whole control plane), a
  fresh fleet of the same N streams and the same changes. Its row has the same baseline and peer values
  as the single-process row, so its ratios show the gain (or not) of using both cores against the peers;
  the notes give the single-process value and processes / 1. CPU-seconds and RSS are summed over the
  primary and its workers (/proc of the process tree).
- **istiod peer and real API servers** (rows \`…/kube/…\`). One real kube-apiserver + etcd per kube cluster
  (interop/kube-apiserver) holds the generated mesh (fewer pods than the manifest folders, see Scale:
  every object is an API write on the same cores). meshpilot reads them through its kube registry (one
  kubeconfig per cluster, same meshNetworks), then istiod itself (pilot-discovery built from the pinned
  istio.io/istio by interop/istiod; its version is under the results) reads the same clusters as a
  primary plus Istio remote secrets, with its defaults except loopback ports and
  \`PILOT_MAX_REQUESTS_PER_SECOND\` raised from 25 (else a fleet is admitted at 25 streams/s); istiod's
  debounce is its default (100 ms quiet, 10 s max), meshpilot's 100 ms / 1 s. Each serves a fresh fleet of
  the same simulated sidecars on plaintext ADS. A change is one EndpointSlice update sent to an API
  server (the pod it names exists beforehand), so (b) there is timed from the write that becomes the
  watch event, with no file registry in the path; (c) sends the same plan of updates to both. (d) there
  is RSS after a forced full GC in both (meshpilot: SIGUSR1 opens its inspector, which runs
  HeapProfiler.collectGarbage; istiod: \`/debug/pprof/heap?gc=1\`), with 0 and with N streams; results.json
  keeps the figures without it. The API servers' own CPU and memory are the same for both and not counted.
- **Clients.** Simulated Envoys in forked worker processes (bench/ads-load-client.ts, up to 2,500 streams
  each), one HTTP/2 connection per stream, raw gRPC framing: CDS wildcard, then EDS for every EDS cluster
  CDS names; every response ACKed with its version and nonce (EDS ACKs repeat all resource names, as
  Envoy's do). Node metadata gives 2 networks × 2 localities; ids are Istio's \`sidecar~<ip>~<pod>…\`.
- **(a)** meshpilot freshly started (caches cold). All streams connect first, then send their first
  request together; time until the last one has ACKed CDS and every EDS cluster it subscribed to.
- **(b)** One manifest edit (one endpoint added or removed in one kube cluster), several times, one at a
  time. Latency per stream = change written → that stream's ACK of new content for the changed cluster
  (matched on content, so resends of old bytes do not count). p50/p99 over all streams × changes. The
  baseline's clock starts when it is told to push. meshpilot's time includes its file registry noticing
  and re-reading the folder, and the snapshot rebuild.
- **(c)** Endpoint changes at a fixed rate; every 10th goes to a reserved service no other change touches,
  and those are the ones timed. CPU = utime+stime of the server process (/proc/<pid>/stat) over the
  change window, in cores.
- **(d)** Server VmRSS (/proc/<pid>/status) with 0 streams (freshly started) and with N streams idle
  after their full push, median of 3 samples each, each right after a forced full GC in meshpilot and
  the baseline (SIGUSR1 opens the inspector, which runs HeapProfiler.collectGarbage twice); (with −
  without) / N. The go-control-plane peer cannot be collected from outside: its cell is its RSS without a
  forced GC, and meshpilot / it compares meshpilot's figure after one with it. The table "in parts" splits
  the figure: JavaScript heap and external memory, Node.js HTTP/2's own per-connection memory (a bare
  node:http2 server with as many idle connections), and RSS after every stream closed, which is what the
  push left in the allocator rather than what a stream holds.
- **(e)** Streams that stop reading (their HTTP/2 stream paused with a 64 KiB window, so flow control
  stops the server) while service changes (each a full CDS push) keep coming; a healthy witness stream
  counts the bytes pushed. Each server gets a fresh fleet and runs the same changes twice: a control round
  with every stream reading, then a round with the stuck streams paused, which then read again
  (results.json shows both); growth = max(peak during, after) − before of the stuck round, VmRSS of the
  server process sampled the same way for every server. Server CPU-seconds are over the stuck round's
  changes. meshpilot toggles a service's second port in a manifest per change (10 ms / 100 ms debounce);
  the go-control-plane peer, serving the recording of that meshpilot, gets a new CDS snapshot version per
  change (every view's full CDS, one cluster changed), as its users hand one over. The baseline is not run:
  it writes every push to every stream and grpc-js buffers what flow control holds back, so it cannot merge
  by design. On the real API servers (\`e/kube/stuck\`) a change is one Service update (its second port
  added or removed) that meshpilot and istiod each answer with a full push, 250 ms apart (beyond both
  debounces' 100 ms quiet time, so each is its own push), and the same updates are replayed for istiod.
  Pass when meshpilot's growth is ≤ max(16 MiB, 25% of what an unbounded queue would hold), every stuck
  stream catches up to the witness's CDS version once it reads again, and it receives fewer responses than
  were pushed meanwhile (merged, not queued and replayed; the notes give each server's counts), and the
  witness got at least half as many pushes as in the control round (else the stuck streams *held the server
  back*); on the real API servers also ≤ istiod's growth (or within 16 MiB of none), unless istiod itself
  was held back: a server that stopped pushing has flat RSS, no reference (its ratio is still shown). istiod
  bounds concurrent pushes (\`PILOT_PUSH_THROTTLE\`, by default 15 + 5 × cores: 25 here) and sets no
  send timeout by default, so as many stuck streams as that can hold every push slot. RSS of a Node.js
  process moves by tens of MiB on its own (see each server's control round), so the delivered-responses
  check is the sharper signal.

Every wait is bounded; a scenario that runs out of time reports \`timeout\`, and the run stops any process
that makes the bench use more than 75% of the machine's memory.

## Reading these numbers

- **Noise.** On 2 shared cores, run-to-run variance is large: at quick scale we have seen (a) and the
  baseline's (c) p99 move by ±50% between two runs. Compare ratios, and compare before/after over a few
  runs each; a single quick run decides nothing.
- **meshpilot's convergence includes its file registry.** A manifest edit is noticed by fs.watch, then
  (after a 30 ms settle, at most 100 ms into a burst of events) the registry reads again only the files
  fs.watch named, parses those whose text changed and hands on the objects whose record changed, before
  the snapshot is rebuilt and the debounce starts (every 5 s it also stats every file, to repair a missed event).
  A kube-apiserver watch delivers one object instead. \`pilot_proxy_convergence_time\` on /metrics starts
  later (when the pipeline sees the change), so it reads lower than (b).
- **Per-workload CDS.** Node ids carry pod IPs, as Istio's do, and meshpilot builds sidecar CDS per
  workload (inbound clusters), while EDS is shared per view; the baseline replays one recorded CDS per view.
- **Bytes.** Each full push is ~3 MB of CDS + EDS per stream at 1,000 services and ~0.3 MB at 100: at
  full scale ~3 GB through loopback for each server in each push suite (1,000 × 3 MB, 10,000 × 0.3 MB),
  received and parsed by the clients on the same 2 cores.
- **SotW ACKs are heavy.** Every EDS ACK repeats all subscribed names (~50 KB at 1,000 services, ~5 KB at
  100), as Envoy's do: one EDS update to 1,000 streams on the 1,000-service mesh brings ~50 MB of ACKs back,
  to 10,000 streams on the 100-service mesh as much. In (c) the baseline (told about changes every
  100 ms, no debounce) makes every stream ACK 10 times a second and falls behind, while meshpilot's debounce
  (max 1 s) sends fewer, larger pushes: there the baseline is a limit of the whole setup, not of a server.
- **RSS per stream (d)** includes what pushing N full pushes leaves in the allocator even after a forced GC:
  RSS hardly goes down when the streams close (the parts table's last columns). The baseline, which keeps
  no per-stream state, shows the floor of a grpc-js server; the bare node:http2 figure, that of any
  Node.js server with one HTTP/2 connection per stream.

${scaleMarkdown(report)}
## Reproduce

\`\`\`sh
npm run bench -- --quick            # a few minutes, scaled down
npm run bench                       # full scale (about half an hour, see Scale)
npm run bench -- --scenario a,b     # some scenarios only (a, b and d share one fleet)
\`\`\`
`;
}

function minutes(seconds: number): string {
  return seconds >= 90 ? `${(seconds / 60).toFixed(1)} min` : `${seconds} s`;
}

/** Each part's measured wall time (with the load when it ended), and the total. */
export function partsTable(parts: readonly PartTime[]): string {
  if (parts.length === 0) return '';
  const total = parts.reduce((sum, p) => sum + p.seconds, 0);
  return [
    '| Part (servers in turn, each with a fresh fleet) | Time in this run | Load average (1 min) at its end |',
    '|---|---:|---:|',
    ...parts.map((p) => `| ${p.part} | ${minutes(p.seconds)} | ${p.loadAverage1m} |`),
    `| **all parts** | **${minutes(total)}** | |`,
  ].join('\n');
}

/** Why the run has the sizes it has, what each part took, and the sizes as the run used them. */
export function scaleMarkdown(report: BenchReport): string {
  const parts = partsTable(report.parts ?? []);
  return `## Scale

${
  report.mode === 'full'
    ? `Full scale is chosen to finish in about half an hour on 2 cores and within this machine's memory, while
keeping the targets' stream count. A full push is ~0.3 MB of CDS + EDS per stream at 100 services and ~3 MB
at 1,000 services; RSS per idle stream is ~170 KiB at 100 services and ~1.7 MiB at 1,000 (what the push
leaves in the allocator dominates). So:

- **10,000 streams on a 100-service mesh** (a, b, d; meshpilot, baseline, go-control-plane and meshpilot
  \`serve --processes 2\`): the convergence target is set at 10,000 streams, and that is where push time
  and RSS per idle stream are read. ~3 GB through loopback per server and ~2 GiB of server RSS; at 1,000
  services it would be ~30 GB and ~17 GiB per server, more than the machine holds beside the clients.
- **1,000 streams on a 1,000-service mesh** (a, b, d; meshpilot, baseline, go-control-plane): the large
  mesh (3,000 Services, 30,000 endpoints; ~50 KB EDS ACKs) at a fleet it fits: ~3 GB per server.
- **Real API servers** (a, b, d at 1,000 and 10,000 streams, and c; meshpilot and istiod) hold a smaller
  mesh: each object is an API write on the same cores (a pod is a create and a status write), and istiod's
  RSS per stream (~0.5 MiB at 50 services) is ~5 GiB at 10,000 streams.
- **(c)** runs 1,000 streams on the 100-service mesh: it measures per-change work at a fixed rate, which a
  larger mesh's full push (3 GB per server, five servers) would not change but would make the run longer.
- **(e)** is small by design: it measures what stuck readers hold, not push speed.

`
    : `Quick scale: the same parts at sizes that finish in a few minutes; the target of (b) is set for
10,000 streams, so there it is indicative.

`
}${
    parts
      ? `${parts}

`
      : ''
  }\`\`\`json
${JSON.stringify(report.scale, null, 2)}
\`\`\`
`;
}

/**
 * BENCHMARKS.md sections written by other measurements (start time, build, ...) follow this line; a bench run
 * rewrites only what comes before it.
 */
export const KEPT_SECTIONS_MARKER = '<!-- Sections below are kept as they are by npm run bench. -->';

/** The generated report followed by the kept sections of the existing file, if any. */
async function withKeptSections(path: string, generated: string): Promise<string> {
  const existing = await readFile(path, 'utf8').catch(() => '');
  const at = existing.indexOf(KEPT_SECTIONS_MARKER);
  return at < 0 ? generated : `${generated}\n${existing.slice(at)}`;
}

export async function writeReport(report: BenchReport, paths: { json: string; markdown: string }): Promise<void> {
  await writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(paths.markdown, await withKeptSections(paths.markdown, benchmarksMarkdown(report)));
}

/** Re-renders BENCHMARKS.md from an existing results.json (after a change to this file's text). */
export async function rewriteMarkdown(paths: { json: string; markdown: string }): Promise<void> {
  const report = JSON.parse(await readFile(paths.json, 'utf8')) as BenchReport;
  await writeFile(paths.markdown, await withKeptSections(paths.markdown, benchmarksMarkdown(report)));
}
