import type { ScenarioRow } from './scenarios/result.ts';

/**
 * Beyond one machine, on paper (issue #16 point 5): how many replicas 100,000 proxies, 10,000 services and
 * 50 member clusters need, and which limit comes first, from this run's measured inputs (the rows) and the
 * registry bench's memory per pod. Every input is named with the row it comes from; every assumption is
 * stated in the text. Pure: rows in, markdown out.
 */

export interface CapacityInputs {
  /** bench/registry-results.json: RSS of the kube registry per 1,000 pods after its initial sync. */
  readonly registryRssBytesPer1000Pods?: number;
}

export const TARGET = { proxies: 100_000, services: 10_000, clusters: 50, podsPerService: 10 } as const;
/** A replica as sized on paper: memory and the cores its server can use. */
export const REPLICA = { memoryGiB: 16, cores: 4 } as const;
/** Kinds meshpilot's kube registry watches in every member cluster (server/registry/kube-kinds.ts). */
const WATCHED_KINDS = 5;

interface ServerModel {
  readonly name: string;
  /** Cores the server's serving work uses on a replica. */
  readonly servingCores: number;
  readonly rows: { a?: ScenarioRow; b?: ScenarioRow; d?: ScenarioRow };
  readonly value: (row: ScenarioRow) => number | null;
  readonly cpu: (row: ScenarioRow) => number | null;
}

export interface CapacityEstimate {
  readonly name: string;
  readonly measuredServices: number;
  readonly kibPerStream: number;
  readonly cpuPerStreamFullPushS: number;
  readonly cpuPerStreamChangeS: number;
  readonly registryMiB: number;
  readonly streamsByMemory: number;
  readonly streamsByPushCpu: number;
  readonly replicas: number;
  readonly firstLimit: 'memory per proxy' | 'push CPU';
  readonly fullPushS: number;
  readonly inputs: string[];
}

/** The row of `prefix` (e.g. `a/` or `a/kube/`) with the most streams that has a value for `pick`. */
function largest(
  rows: readonly ScenarioRow[],
  scenario: ScenarioRow['scenario'],
  kube: boolean,
  pick: (row: ScenarioRow) => number | null,
): ScenarioRow | undefined {
  return rows
    .filter((r) => r.scenario === scenario && r.id.includes('/kube/') === kube && /\/\d+$/.test(r.id))
    .filter((r) => r.status === 'ok' && pick(r) !== null)
    .sort((x, y) => y.streams - x.streams)[0];
}

function changesOf(row: ScenarioRow): number {
  const changes = row.details?.changes;
  return typeof changes === 'number' && changes > 0 ? changes : 1;
}

/** One server's estimate, or undefined when this run lacks one of its inputs. */
export function estimate(model: ServerModel, inputs: CapacityInputs): CapacityEstimate | undefined {
  const { a, b, d } = model.rows;
  if (!a || !b || !d || inputs.registryRssBytesPer1000Pods === undefined) return undefined;
  const perStream = model.value(d);
  const cpuA = model.cpu(a);
  const cpuB = model.cpu(b);
  if (perStream === null || cpuA === null || cpuB === null) return undefined;
  // Per-stream memory, full-push and change CPU grow with what every proxy is sent: no Sidecar scoping,
  // every proxy sees every service, so each scales by target services / measured services.
  const scale = TARGET.services / a.services;
  const kibPerStream = Math.max(perStream, 1) * (TARGET.services / d.services);
  const cpuPerStreamFullPushS = (cpuA / a.streams) * scale;
  const cpuPerStreamChangeS = (cpuB / (b.streams * changesOf(b))) * (TARGET.services / b.services);
  const pods = TARGET.services * TARGET.podsPerService;
  const registryMiB = ((pods / 1000) * inputs.registryRssBytesPer1000Pods) / 2 ** 20;
  const memoryKiB = REPLICA.memoryGiB * 2 ** 20 - registryMiB * 1024;
  const streamsByMemory = Math.max(0, Math.floor(memoryKiB / kibPerStream));
  // Convergence within 1 s: one debounced push to every stream of the replica must fit in a second of its cores.
  const streamsByPushCpu = Math.floor(model.servingCores / cpuPerStreamChangeS);
  const perReplica = Math.min(streamsByMemory, streamsByPushCpu);
  const replicas = perReplica > 0 ? Math.ceil(TARGET.proxies / perReplica) : Infinity;
  return {
    name: model.name,
    measuredServices: a.services,
    kibPerStream,
    cpuPerStreamFullPushS,
    cpuPerStreamChangeS,
    registryMiB,
    streamsByMemory,
    streamsByPushCpu,
    replicas,
    firstLimit: streamsByMemory <= streamsByPushCpu ? 'memory per proxy' : 'push CPU',
    fullPushS: (cpuPerStreamFullPushS * Math.min(perReplica, TARGET.proxies)) / model.servingCores,
    inputs: [`\`${a.id}\``, `\`${b.id}\``, `\`${d.id}\``],
  };
}

function n(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '∞';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function capacityEstimates(rows: readonly ScenarioRow[], inputs: CapacityInputs): CapacityEstimate[] {
  const mp = (kube: boolean): ServerModel => {
    const value = (r: ScenarioRow): number | null => r.meshpilot;
    const cpu = (r: ScenarioRow): number | null => r.cpuSeconds?.meshpilot ?? null;
    return {
      name: kube ? 'meshpilot (kube registry)' : 'meshpilot',
      // Today meshpilot serves on one Node.js main thread, whatever the replica's cores.
      servingCores: 1,
      rows: {
        a: largest(rows, 'a', kube, cpu),
        b: largest(rows, 'b', kube, cpu),
        d: largest(rows, 'd', kube, value),
      },
      value,
      cpu,
    };
  };
  const istiodValue = (r: ScenarioRow): number | null => r.peers?.istiod?.value ?? null;
  const istiodCpu = (r: ScenarioRow): number | null => r.cpuSeconds?.istiod ?? null;
  const istiod: ServerModel = {
    name: 'istiod',
    servingCores: REPLICA.cores,
    rows: {
      a: largest(rows, 'a', true, istiodCpu),
      b: largest(rows, 'b', true, istiodCpu),
      d: largest(rows, 'd', true, istiodValue),
    },
    value: istiodValue,
    cpu: istiodCpu,
  };
  return [mp(false), mp(true), istiod]
    .map((model) => estimate(model, inputs))
    .filter((e): e is CapacityEstimate => e !== undefined);
}

export function capacityMarkdown(rows: readonly ScenarioRow[], inputs: CapacityInputs = {}): string {
  const estimates = capacityEstimates(rows, inputs);
  const head = `## Capacity beyond one machine (on paper)

${n(TARGET.proxies)} proxies, ${n(TARGET.services)} services (${TARGET.podsPerService} pods each), ${TARGET.clusters} member clusters,
from this run's measured inputs. Assumptions: a replica has ${REPLICA.memoryGiB} GiB and ${REPLICA.cores} cores;
meshpilot serves on one core (its Node.js main thread), istiod on all of them; no Sidecar scoping, so
every proxy is sent every service and per-stream memory, full-push and per-change CPU are scaled linearly
from the measured service count to ${n(TARGET.services)}; every replica holds the whole registry
(${inputs.registryRssBytesPer1000Pods !== undefined ? `${n(inputs.registryRssBytesPer1000Pods / 2 ** 20, 1)} MiB per 1,000 pods, bench/registry-results.json` : 'no registry measurement'});
a replica can take as many proxies as both fit in memory and get one debounced push each within 1 s of its
serving cores (the convergence target). Full push = the CPU time to re-send every proxy of one replica its
full CDS + EDS (after a restart or a failover), on its serving cores.
`;
  if (estimates.length === 0)
    return `${head}\nThis run lacks an input (a, b and d rows with CPU-seconds, and bench/registry-results.json): no estimate.\n`;
  const lines = [
    '| Server | Inputs (rows) | RSS per stream at 10,000 services | CPU per stream: full push / one change | Registry | Proxies per replica: memory / push CPU | Replicas | First limit | Full push of one replica |',
    '|---|---|---:|---:|---:|---:|---:|---|---:|',
    ...estimates.map(
      (e) =>
        `| ${e.name} | ${e.inputs.join(', ')} (${n(e.measuredServices)} services) | ${n(e.kibPerStream / 1024, 1)} MiB | ${n(e.cpuPerStreamFullPushS * 1000, 1)} ms / ${n(e.cpuPerStreamChangeS * 1000, 2)} ms | ${n(e.registryMiB)} MiB | ${n(e.streamsByMemory)} / ${n(e.streamsByPushCpu)} | ${n(e.replicas)} | ${e.firstLimit} | ${n(e.fullPushS)} s |`,
    ),
  ];
  const watches = `**API-server watch fan-in.** Every replica watches ${WATCHED_KINDS} kinds (Services, EndpointSlices, Pods,
Nodes, Namespaces) in each of the ${TARGET.clusters} member clusters: ${n(WATCHED_KINDS * TARGET.clusters)} watches per replica, and each
member API server serves ${WATCHED_KINDS} watches per replica and sends every event once per replica. With the replica
counts above that is ${estimates.map((e) => `${n(WATCHED_KINDS * e.replicas)} watches per API server for ${e.name}`).join(', ')}. This run
did not measure an API server's cost per watcher, so the model does not rank fan-in against the two limits
above: it grows with replicas × event rate (kube-apiserver serves watches from its watch cache, one
serialization per event), so fewer, larger replicas keep it down.`;
  return `${head}\n${lines.join('\n')}\n\n${watches}\n`;
}
