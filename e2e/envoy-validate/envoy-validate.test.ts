import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, typed } from '../../protos/any.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../protos/type-urls.ts';
import { validateResourceBytes } from '../../protos/validate-rules.ts';
import { encodeAnyBytes } from '../../server/xds/encoded-resource.ts';
import { buildGrpcBootstrap } from '../../agent/grpc-bootstrap.ts';
import { meshOutput, type ResourceRecord } from './proxy-output-records.ts';
import { runEnvoyValidate, type ValidationReport } from './run-envoy-validate.ts';

/**
 * Every resource meshpilot serves the representative proxies of every bundled example and every mesh
 * of the oracle corpus, checked by generated code: go-control-plane's types and their
 * protoc-gen-validate validators (Envoy's rules, every packed Any too) and, for proxyless gRPC
 * clients, grpc-go's own xDS decoders. One rejection fails.
 */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function meshConfigs(): { label: string; path: string }[] {
  const found: { label: string; path: string }[] = [];
  for (const base of ['examples', join('e2e', 'oracle', 'corpus')]) {
    const dir = join(repoRoot, base);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name, 'meshpilot.yaml');
      if (entry.isDirectory() && existsSync(path)) found.push({ label: `${base}/${entry.name}`, path });
    }
  }
  return found.sort((a, b) => a.label.localeCompare(b.label));
}

let workDir = '';
let bootstrapPath = '';
const totals = { meshes: 0, validated: 0, grpcParsed: 0, packedAnys: 0 };

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'meshpilot-envoy-validate-'));
  bootstrapPath = join(workDir, 'grpc-bootstrap.json');
  const bootstrap = buildGrpcBootstrap(
    {
      namespace: 'default',
      serviceAccount: 'default',
      podName: 'client-0',
      podIp: '10.0.0.5',
      kubeCluster: 'cluster-a',
      domainSuffix: 'cluster.local',
    },
    { xdsAddress: '127.0.0.1:15010', xdsCredentials: 'insecure', outDir: workDir, refreshIntervalSeconds: 600 },
  );
  writeFileSync(bootstrapPath, JSON.stringify(bootstrap));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (totals.meshes > 0)
    console.log(
      `envoy-validate: ${totals.validated} resources of ${totals.meshes} meshes validated (${totals.packedAnys} packed Any unpacked and validated), ${totals.grpcParsed} also parsed by grpc-go, 0 rejected`,
    );
});

function describeRejections(report: ValidationReport): string[] {
  return report.rejections.map((r) => `${r.view} ${r.type} ${r.name}: [${r.check}] ${r.path ?? ''} ${r.error}`);
}

describe('envoy-validate on meshpilot output', () => {
  const configs = meshConfigs();

  it('finds the bundled examples', () => {
    expect(configs.map((c) => c.label)).toEqual(expect.arrayContaining(['examples/compose', 'examples/seed']));
  });

  for (const { label, path } of configs) {
    it(`accepts every resource served for ${label}`, { timeout: 120_000 }, async () => {
      const output = await meshOutput(path);
      expect(output.records.length).toBeGreaterThan(0);
      expect(output.records.some((r) => r.client === 'grpc')).toBe(true);
      const report = await runEnvoyValidate(output.records, bootstrapPath);
      expect(describeRejections(report)).toEqual([]);
      // Every record was decoded and checked; only Istio's own NameTable is not Envoy's.
      const notEnvoy = Object.values(report.notEnvoy).reduce((a, b) => a + b, 0);
      expect(report.validated + notEnvoy).toBe(output.records.length);
      expect(report.grpcParsed).toBeGreaterThan(0);
      totals.meshes += 1;
      totals.validated += report.validated;
      totals.grpcParsed += report.grpcParsed;
      totals.packedAnys += report.packedAnys;
    });
  }
});

function record(typeUrl: string, name: string, object: Record<string, unknown>, client: 'envoy' | 'grpc' = 'envoy') {
  return recordOfBytes(typeUrl, name, encodeMessage(typeUrl, object), client);
}

function recordOfBytes(typeUrl: string, name: string, value: Uint8Array, client: 'envoy' | 'grpc'): ResourceRecord {
  return { view: 'test', client, name, any: Buffer.from(encodeAnyBytes(typeUrl, value)).toString('base64') };
}

describe('envoy-validate rejects what Envoy and grpc-go reject', () => {
  const eds = { type: 'EDS', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } } };

  it('accepts a valid Cluster', async () => {
    const report = await runEnvoyValidate(
      [
        record(CLUSTER_TYPE, 'outbound|80||a.default.svc.cluster.local', {
          name: 'outbound|80||a.default.svc.cluster.local',
          connect_timeout: { seconds: 10 },
          ...eds,
        }),
      ],
      bootstrapPath,
    );
    expect(report.rejections).toEqual([]);
    expect(report.validated).toBe(1);
  });

  it('rejects a Cluster with an empty name and a negative connect_timeout (protoc-gen-validate), as the walker does', async () => {
    const invalid = { name: '', connect_timeout: { seconds: -1 }, ...eds };
    const report = await runEnvoyValidate([record(CLUSTER_TYPE, '', invalid)], bootstrapPath);
    const errors = report.rejections.filter((r) => r.check === 'validate').map((r) => r.error);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Cluster\.Name/),
        expect.stringMatching(/Cluster\.ConnectTimeout/),
      ]),
    );
    // meshpilot's own validate.rules walker (validate --proxy-output, no Go needed) finds the same two.
    const walker = validateResourceBytes(CLUSTER_TYPE, encodeMessage(CLUSTER_TYPE, invalid));
    expect(walker.map((v) => v.path).sort()).toEqual(['connect_timeout', 'name']);
  });

  it('validates packed Any configs and rejects unknown packed types', async () => {
    const listener = (routerConfig: Record<string, unknown>) => ({
      name: 'l',
      address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: typed('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
                stat_prefix: 's',
                rds: { route_config_name: 'r', config_source: { ads: {}, resource_api_version: 'V3' } },
                http_filters: [{ name: 'envoy.filters.http.router', typed_config: routerConfig }],
              }),
            },
          ],
        },
      ],
    });
    // An empty TcpProxy packed two Anys deep decodes, but its own rules fail (stat_prefix and cluster required).
    const nested = await runEnvoyValidate(
      [record(LISTENER_TYPE, 'l', listener(typed('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', {})))],
      bootstrapPath,
    );
    expect(nested.rejections.map((r) => r.error).sort()).toEqual([
      expect.stringMatching(/TcpProxy\.ClusterSpecifier: value is required/),
      expect.stringMatching(/TcpProxy\.StatPrefix/),
    ]);
    for (const r of nested.rejections) {
      expect(r.check).toBe('validate');
      expect(r.path).toMatch(
        /http_filters\[0\]\.typed_config<envoy\.extensions\.filters\.network\.tcp_proxy\.v3\.TcpProxy>$/,
      );
    }

    // A type that is not Envoy's (not linked into the validator) is rejected by name.
    const unknown = await runEnvoyValidate(
      [record(LISTENER_TYPE, 'l', listener(typed('istio.v1.auth.IstioCertificateRequest', { csr: 'x' })))],
      bootstrapPath,
    );
    expect(unknown.rejections.map((r) => [r.check, r.error])).toEqual([
      ['decode', expect.stringMatching(/istio\.v1\.auth\.IstioCertificateRequest is not one of Envoy's types/)],
    ]);
    expect(unknown.packedAnys).toBe(2);
  });

  it('rejects fields Envoy does not know and a name that differs from the resource', async () => {
    const cluster = encodeMessage(CLUSTER_TYPE, { name: 'c', connect_timeout: { seconds: 1 }, ...eds });
    // field 999, varint 1: not a field of envoy.config.cluster.v3.Cluster
    const withUnknown = Buffer.concat([Buffer.from(cluster), Buffer.from([0xb8, 0x3e, 0x01])]);
    const report = await runEnvoyValidate([recordOfBytes(CLUSTER_TYPE, 'other', withUnknown, 'envoy')], bootstrapPath);
    expect(report.rejections.map((r) => r.check).sort()).toEqual(['name', 'unknown-field']);
    expect(report.rejections.find((r) => r.check === 'unknown-field')?.error).toMatch(/\[999\]/);
  });

  it("runs grpc-go's own decoders on resources for proxyless clients", async () => {
    // Valid for Envoy (MAGLEV is one of its LB policies), but grpc-go NACKs it.
    const maglev = { name: 'c', connect_timeout: { seconds: 1 }, lb_policy: 'MAGLEV', ...eds };
    const asEnvoy = await runEnvoyValidate([record(CLUSTER_TYPE, 'c', maglev, 'envoy')], bootstrapPath);
    expect(asEnvoy.rejections).toEqual([]);
    const asGrpc = await runEnvoyValidate([record(CLUSTER_TYPE, 'c', maglev, 'grpc')], bootstrapPath);
    expect(asGrpc.grpcParsed).toBe(1);
    expect(asGrpc.rejections.map((r) => r.check)).toEqual(['grpc-go']);
    expect(asGrpc.rejections[0]?.error).toMatch(/lb/i);

    // An endpoint with port 0 is accepted by neither.
    const badEndpoint = {
      cluster_name: 'c',
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 0 } } } }] },
      ],
    };
    const eps = await runEnvoyValidate([record(ENDPOINT_TYPE, 'c', badEndpoint, 'grpc')], bootstrapPath);
    expect(eps.rejections.map((r) => r.check).sort()).toContain('grpc-go');
  });
});
