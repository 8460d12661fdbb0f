import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typed } from '../protos/any.ts';
import { tcpProxyFilter } from './common/filters.ts';
import { typedConfig } from './common/typed-config.ts';
import type { FilterChain } from './resource.ts';
import type { Bootstrap } from '../protos/generated/envoy/config/bootstrap/v3/Bootstrap.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const RESOURCE = join(ROOT, 'translators', 'resource.ts');
const TYPED_CONFIG = join(ROOT, 'translators', 'common', 'typed-config.ts');

/** Type-checks one fixture (and what it imports) with the project's compiler options; returns tsc's output. */
async function typecheck(dir: string, name: string, body: string): Promise<{ ok: boolean; output: string }> {
  const file = join(dir, `${name}.ts`);
  // A relative specifier, as the project's own imports are (rewriteRelativeImportExtensions).
  await writeFile(
    file,
    `import { clusterResource, endpointResource, listenerResource } from ${JSON.stringify(relative(dir, RESOURCE))};\n` +
      `import { typedConfig } from ${JSON.stringify(relative(dir, TYPED_CONFIG))};\n${body}\n`,
  );
  const config = join(dir, `${name}.tsconfig.json`);
  await writeFile(
    config,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: true, typeRoots: [join(ROOT, 'node_modules', '@types')] },
      include: [],
      files: [file],
    }),
  );
  try {
    await run(process.execPath, [TSC, '-p', config], { cwd: ROOT, timeout: 120_000 });
    return { ok: true, output: '' };
  } catch (error: unknown) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${stdout}${stderr}` };
  }
}

describe('typed Envoy output (issue #20 point 4): types generated from the data-plane-api protos', () => {
  let dir: string;

  beforeAll(async () => {
    // protos/generated/ is not tracked; npm run typecheck makes it (pretypecheck). Make it if this runs first.
    if (!existsSync(join(ROOT, 'protos', 'generated', 'envoy', 'config', 'cluster', 'v3', 'Cluster.ts')))
      await run(process.execPath, [join(ROOT, 'scripts', 'gen-proto-types.js')], { cwd: ROOT, timeout: 120_000 });
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-typed-output-'));
  }, 150_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('accepts a Cluster with the real field names and enum values', { timeout: 150_000 }, async () => {
    const result = await typecheck(
      dir,
      'good',
      "clusterResource('c', { name: 'c', type: 'EDS', connect_timeout: { seconds: 1 }, lb_policy: 'LEAST_REQUEST' });",
    );
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('rejects a misspelled Cluster field and an unknown enum value at compile time', { timeout: 150_000 }, async () => {
    const misspelled = await typecheck(
      dir,
      'misspelled',
      "clusterResource('c', { name: 'c', conect_timeout: { seconds: 1 } });",
    );
    expect(misspelled.ok).toBe(false);
    expect(misspelled.output).toMatch(/error TS(2353|2561): .*'conect_timeout' does not exist in type 'Cluster'/);
    const badEnum = await typecheck(dir, 'bad-enum', "clusterResource('c', { name: 'c', type: 'EDSS' });");
    expect(badEnum.ok).toBe(false);
    expect(badEnum.output).toMatch(/error TS(2322|2820): Type '"EDSS"' is not assignable/);
  });

  it('types ClusterLoadAssignment the same way, down to the endpoints', { timeout: 150_000 }, async () => {
    const good = await typecheck(
      dir,
      'cla-good',
      "endpointResource('c', { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } }, health_status: 'HEALTHY' }] }] });",
    );
    expect(good.output).toBe('');
    const misspelled = await typecheck(
      dir,
      'cla-misspelled',
      "endpointResource('c', { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { adress: '10.0.0.1' } } } }] }] });",
    );
    expect(misspelled.ok).toBe(false);
    expect(misspelled.output).toMatch(/error TS(2353|2561): .*'adress' does not exist in type 'SocketAddress'/);
  });

  it('types the filters inside a Listener and every typed_config by its type URL', { timeout: 150_000 }, async () => {
    const good = await typecheck(
      dir,
      'filters-good',
      "listenerResource('l', { name: 'l', filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: typedConfig('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: 's', cluster: 'c' }) }] }] });",
    );
    expect(good.output).toBe('');
    const chainField = await typecheck(
      dir,
      'chain-misspelled',
      "listenerResource('l', { name: 'l', filter_chains: [{ filter_chain_macth: {} }] });",
    );
    expect(chainField.ok).toBe(false);
    expect(chainField.output).toMatch(
      /error TS(2353|2561): .*'filter_chain_macth' does not exist in type 'FilterChain'/,
    );
    const hcmField = await typecheck(
      dir,
      'hcm-misspelled',
      "typedConfig('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', { stat_prefix: 's', http_filter: [] });",
    );
    expect(hcmField.ok).toBe(false);
    expect(hcmField.output).toMatch(
      /error TS(2353|2561): .*'http_filter' does not exist in type 'HttpConnectionManager'/,
    );
    const tlsField = await typecheck(
      dir,
      'tls-misspelled',
      "typedConfig('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', { require_client_certificate: { value: true }, common_tls_contxt: {} });",
    );
    expect(tlsField.ok).toBe(false);
    expect(tlsField.output).toMatch(
      /error TS(2353|2561): .*'common_tls_contxt' does not exist in type 'DownstreamTlsContext'/,
    );
    const unknownUrl = await typecheck(
      dir,
      'unknown-url',
      "typedConfig('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxxy', { stat_prefix: 's' });",
    );
    expect(unknownUrl.ok).toBe(false);
    expect(unknownUrl.output).toMatch(/error TS2345: .*'"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxxy"'/);
  });

  it('packs the same object as before (output bytes unchanged), and npm run typecheck rejects misspelled builder fields', () => {
    expect(tcpProxyFilter('c', 's')).toEqual({
      name: 'envoy.filters.network.tcp_proxy',
      typed_config: typed('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: 's', cluster: 'c' }),
    });
    // Compile-time cases: `npm run typecheck` (which covers this file) fails if any of these stops being an error.
    const misspelledInChain: FilterChain = {
      // @ts-expect-error a misspelled FilterChain field ('filter' for 'filters') is a type error
      filter: [tcpProxyFilter('c')],
    };
    // @ts-expect-error a misspelled TcpProxy field inside typed_config is a type error
    const misspelledInAny = typedConfig('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { clustr: 'c' });
    // @ts-expect-error a type URL without a generated message is a type error
    const unknownType = typedConfig('envoy.extensions.filters.http.router.v3.Routr', {});
    const misspelledInBootstrap: Bootstrap = {
      // @ts-expect-error a misspelled Bootstrap field ('dynamic_resource') is a type error (translators/bootstrap.ts builds one)
      dynamic_resource: {},
    };
    expect([misspelledInChain, misspelledInAny, unknownType, misspelledInBootstrap]).toHaveLength(4);
  });
});
