import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessDir } from './support/harness.ts';

// The istio-oracle harness (interop/istio-oracle): Istio's own pilot, in process, answering probe proxies
// for a meshpilot.yaml. These checks hold the harness to real Istio output on the seed example mesh; the
// differential suite compares that output with meshpilot's.

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const seed = join(repoRoot, 'examples', 'seed');
const seedConfig = join(seed, 'meshpilot.yaml');
const HELLOWORLD = 'outbound|5000||helloworld.default.svc.cluster.local';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type ProbeAnswer = {
  cds: JsonObject[];
  eds: JsonObject[];
  lds: JsonObject[];
  rds: JsonObject[];
  nds: JsonObject | null;
  errors: string[];
};
type OracleAnswer = { istioVersion: string; errors: string[]; probes: Record<string, ProbeAnswer> };

const probes = [
  {
    name: 'sidecar-a',
    node: {
      id: 'sidecar~192.192.146.69~helloworld-5d977bc559-8dxts.default~default.svc.cluster.local',
      metadata: { CLUSTER_ID: 'cluster-a', NETWORK: 'group20', ISTIO_VERSION: '1.28.0', NAMESPACE: 'default' },
    },
  },
  {
    name: 'sidecar-a-own-network-view',
    node: {
      id: 'sidecar~192.192.146.69~helloworld-5d977bc559-8dxts.default~default.svc.cluster.local',
      metadata: {
        CLUSTER_ID: 'cluster-a',
        NETWORK: 'group20',
        ISTIO_VERSION: '1.28.0',
        REQUESTED_NETWORK_VIEW: 'group20',
      },
    },
  },
  { name: 'bad-node-id', node: { id: 'not-an-istio-node-id', metadata: {} } },
  {
    name: 'grpc-b',
    node: {
      id: 'sidecar~10.201.141.149~helloworld-5d977bc559-az6xt.default~default.svc.cluster.local',
      metadata: { CLUSTER_ID: 'cluster-b', NETWORK: 'group30', GENERATOR: 'grpc', ISTIO_VERSION: '1.28.0' },
    },
  },
  {
    name: 'eastwest-a',
    node: {
      id: 'router~10.64.31.204~istio-eastwestgateway-0.istio-system~istio-system.svc.cluster.local',
      metadata: {
        CLUSTER_ID: 'cluster-a',
        NETWORK: 'group20',
        ROUTER_MODE: 'sni-dnat',
        ISTIO_VERSION: '1.28.0',
        LABELS: { istio: 'eastwestgateway', 'topology.istio.io/network': 'group20' },
      },
      locality: { region: 'cn', zone: 'shanghai-20' },
    },
  },
];

const EASTWEST_GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: cross-network-gateway, namespace: istio-system }
spec:
  selector: { istio: eastwestgateway }
  servers:
    - port: { number: 15443, name: tls, protocol: TLS }
      tls: { mode: AUTO_PASSTHROUGH }
      hosts: ['*.local']
`;

type Run = { code: number; stdout: string; stderr: string };

function runOracle(args: readonly string[]): Promise<Run> {
  const binary = join(harnessDir('istio-oracle'), 'istio-oracle');
  return new Promise((resolve) => {
    execFile(binary, args, { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function byName(resources: readonly JsonObject[], key: string, name: string): JsonObject {
  const found = resources.find((r) => r[key] === name);
  if (found === undefined) throw new Error(`no resource named ${name}`);
  return found;
}

/** "ip:port" of every lb endpoint of a ClusterLoadAssignment. */
function endpointAddresses(assignment: JsonObject): string[] {
  const out: string[] = [];
  const localities = Array.isArray(assignment.endpoints) ? assignment.endpoints : [];
  for (const locality of localities) {
    if (locality === null || typeof locality !== 'object' || Array.isArray(locality)) continue;
    const lbEndpoints = Array.isArray(locality.lb_endpoints) ? locality.lb_endpoints : [];
    for (const lb of lbEndpoints) {
      const json = JSON.stringify(lb);
      const match = /"socket_address":\{"address":"([^"]+)","port_value":(\d+)\}/.exec(json);
      if (match !== null) out.push(`${match[1]}:${match[2]}`);
    }
  }
  return out.sort();
}

describe('istio-oracle harness (Istio pilot in process) on the seed example', () => {
  let dir: string;
  let first: Run;
  let answer: OracleAnswer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'istio-oracle-'));
    await writeFile(join(dir, 'probes.json'), JSON.stringify(probes));
    // The seed mesh plus the Gateway an Istio install gives its east-west gateway (AUTO_PASSTHROUGH on
    // 15443): Istio builds a router's SNI clusters only for such a Gateway.
    const seedText = await readFile(seedConfig, 'utf8');
    await mkdir(join(dir, 'gateway'));
    await writeFile(join(dir, 'gateway', 'eastwest.yaml'), EASTWEST_GATEWAY);
    await writeFile(
      join(dir, 'meshpilot.yaml'),
      seedText
        .replaceAll('./cluster-a/', join(seed, 'cluster-a'))
        .replaceAll('./cluster-b/', join(seed, 'cluster-b'))
        .replace(
          '  - manifests: ./istio/',
          `  - manifests: ${join(seed, 'istio')}\n  - manifests: ${join(dir, 'gateway')}`,
        ),
    );
    first = await runOracle(['--config', join(dir, 'meshpilot.yaml'), '--probes', join(dir, 'probes.json')]);
    if (first.code !== 0) throw new Error(`istio-oracle failed (${first.code}): ${first.stderr}`);
    answer = JSON.parse(first.stdout) as OracleAnswer;
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the pinned Istio version and loads the mesh without errors', async () => {
    const goMod = await readFile(join(repoRoot, 'interop', 'istio-oracle', 'go.mod'), 'utf8');
    const pinned = /istio\.io\/istio (v\S+)/.exec(goMod)?.[1];
    expect(pinned).toBeDefined();
    expect(answer.istioVersion).toBe(pinned);
    expect(answer.errors).toEqual([]);
    expect(Object.keys(answer.probes).sort()).toEqual([
      'bad-node-id',
      'eastwest-a',
      'grpc-b',
      'sidecar-a',
      'sidecar-a-own-network-view',
    ]);
  });

  it("gives a sidecar Istio's CDS with the DestinationRule applied and split-horizon EDS", () => {
    const sidecar = answer.probes['sidecar-a'];
    expect(sidecar?.errors).toEqual([]);
    const cluster = byName(sidecar?.cds ?? [], 'name', HELLOWORLD);
    // The seed DestinationRule (maxRequestsPerConnection: 1) reached Istio's config store.
    expect(JSON.stringify(cluster)).toContain('"max_requests_per_connection":1');
    const names = (sidecar?.cds ?? []).map((c) => String(c.name));
    expect(names).toEqual([...names].sort());
    // Local endpoint as is; cluster-b's endpoint (network group30) through group30's gateway.
    const assignment = byName(sidecar?.eds ?? [], 'cluster_name', HELLOWORLD);
    expect(endpointAddresses(assignment)).toEqual(['10.64.31.211:15443', '192.192.146.69:5000']);
    expect(sidecar?.lds.some((l) => l.name === 'virtualOutbound')).toBe(true);
    expect(sidecar?.rds.some((r) => r.name === '5000')).toBe(true);
    expect(sidecar?.nds?.table).toHaveProperty(['helloworld.default.svc.cluster.local']);
  });

  it('honours REQUESTED_NETWORK_VIEW: only the networks asked for', () => {
    const view = answer.probes['sidecar-a-own-network-view'];
    expect(view?.errors).toEqual([]);
    expect(endpointAddresses(byName(view?.eds ?? [], 'cluster_name', HELLOWORLD))).toEqual(['192.192.146.69:5000']);
  });

  it("reports Istio's refusal of a bad node id in that probe's errors, the others unaffected", () => {
    const bad = answer.probes['bad-node-id'];
    expect(bad?.cds).toEqual([]);
    expect(bad?.errors.join('\n')).toContain('not-an-istio-node-id');
  });

  it('gives a proxyless gRPC client its listener, route, cluster and EDS from the other network', () => {
    const grpc = answer.probes['grpc-b'];
    expect(grpc?.errors).toEqual([]);
    expect(grpc?.lds.map((l) => l.name)).toContain('helloworld.default.svc.cluster.local:5000');
    expect(grpc?.rds.map((r) => r.name)).toContain(HELLOWORLD);
    expect(grpc?.cds.map((c) => c.name)).toContain(HELLOWORLD);
    const assignment = byName(grpc?.eds ?? [], 'cluster_name', HELLOWORLD);
    expect(endpointAddresses(assignment)).toEqual(['10.201.141.149:5000', '10.64.31.204:15443']);
    expect(grpc?.nds).toBeNull();
  });

  it('gives an sni-dnat router the SNI clusters of the east-west gateway', () => {
    const gateway = answer.probes['eastwest-a'];
    expect(gateway?.errors).toEqual([]);
    const sni = byName(gateway?.cds ?? [], 'name', 'outbound_.5000_._.helloworld.default.svc.cluster.local');
    expect(sni.type).toBe('EDS');
    // Istio gives the gateway its own network's pod, and the other network's endpoint through that
    // network's gateway (this pilot does not keep an east-west gateway to its own network).
    const assignment = byName(
      gateway?.eds ?? [],
      'cluster_name',
      'outbound_.5000_._.helloworld.default.svc.cluster.local',
    );
    expect(endpointAddresses(assignment)).toEqual(['10.64.31.211:15443', '192.192.146.69:5000']);
    expect(gateway?.lds.map((l) => l.name)).toContain('0.0.0.0_15443');
  });

  it('answers byte for byte the same on a second run', async () => {
    const second = await runOracle(['--config', join(dir, 'meshpilot.yaml'), '--probes', join(dir, 'probes.json')]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  }, 120_000);

  it('refuses a kubeconfig kube cluster with exit code 1 and a message naming it', async () => {
    const config = join(dir, 'kubeconfig.yaml');
    await writeFile(config, 'clusters:\n  - { name: cluster-x, kubeconfig: ./x.kubeconfig }\n');
    const run = await runOracle(['--config', config, '--probes', join(dir, 'probes.json')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('cluster-x');
    expect(run.stderr).toContain('kubeconfig');
  });
});
