import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../protos/any.ts';
import { fromProto3Json } from '../protos/proto3-json.ts';
import { validateResourceBytes } from '../protos/validate-rules.ts';
import { BOOTSTRAP_TYPE, bootstrapObject, buildEnvoyBootstrap } from '../translators/bootstrap.ts';
import { parseProxyNode } from '../server/generators/proxy-identity.ts';
import { renderBootstrap, runBootstrapCommand, type BootstrapFlags } from './bootstrap-command.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function sink(): { write(text: string): void; text: () => string } {
  let text = '';
  return { write: (chunk: string) => void (text += chunk), text: () => text };
}

const ROUTER_FLAGS: BootstrapFlags = {
  type: 'router',
  podIp: '172.28.2.10',
  podName: 'istio-eastwestgateway-b',
  namespace: 'istio-system',
  serviceAccount: 'istio-eastwestgateway',
  clusterId: 'cluster-b',
  network: 'net-b',
  region: 'cn',
  zone: 'beijing-30',
  label: ['app=istio-eastwestgateway', 'istio=eastwestgateway'],
  xdsAddress: 'meshpilot:15012',
  tls: true,
  rootCert: '/bootstrap/root-cert.pem',
  adminAddress: '0.0.0.0:15000',
};

/** Parses printed JSON the way Envoy does (proto3 JSON, unknown fields rejected) and returns the encoded bytes. */
function envoyParse(json: string): Uint8Array {
  return encodeMessage(BOOTSTRAP_TYPE, fromProto3Json(BOOTSTRAP_TYPE, JSON.parse(json)));
}

describe('meshpilot bootstrap', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-bootstrap-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a router bootstrap that parses as proto3 JSON, passes validate.rules, and that meshpilot reads as an sni-dnat gateway of its network', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'the-token\n');
    const output = join(dir, 'router.json');
    const stderr = sink();
    expect(await runBootstrapCommand({ ...ROUTER_FLAGS, tokenFile, output }, sink(), stderr)).toBe(0);
    expect(stderr.text()).toBe('');
    const json = await readFile(output, 'utf8');
    expect((await stat(output)).mode & 0o777).toBe(0o600);
    const bytes = envoyParse(json);
    expect(validateResourceBytes(BOOTSTRAP_TYPE, bytes, { reportUnknownAny: true })).toEqual([]);
    const node = decodeMessage(BOOTSTRAP_TYPE, bytes)['node'] as Parameters<typeof parseProxyNode>[0];
    const parsed = parseProxyNode(node, undefined);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.proxy.type).toBe('router');
    expect(parsed.proxy.serviceAccount).toBe('istio-eastwestgateway');
    expect(parsed.proxy.view).toMatchObject({
      routerMode: 'sni-dnat',
      network: 'net-b',
      kubeCluster: 'cluster-b',
      namespace: 'istio-system',
      locality: { region: 'cn', zone: 'beijing-30', subZone: '' },
    });
    expect(parsed.proxy.labels).toMatchObject({ istio: 'eastwestgateway' });
    expect(JSON.parse(json).dynamic_resources.ads_config.grpc_services[0].initial_metadata).toEqual([
      { key: 'authorization', value: 'Bearer the-token' },
    ]);
  });

  it('prints JSON with proto3 forms Envoy needs (duration strings, metadata as a plain object) and no token file means a world-readable file', async () => {
    const output = join(dir, 'sidecar.json');
    const { tls: _tls, rootCert: _root, ...plaintext } = ROUTER_FLAGS;
    expect(
      await runBootstrapCommand(
        { ...plaintext, type: 'sidecar', xdsAddress: '172.28.0.2:15010', output },
        sink(),
        sink(),
      ),
    ).toBe(0);
    const json = JSON.parse(await readFile(output, 'utf8'));
    expect((await stat(output)).mode & 0o777).toBe(0o644);
    expect(json.static_resources.clusters[0].connect_timeout).toBe('1s');
    expect(json.static_resources.clusters[0].type).toBe('STATIC');
    expect(json.node.metadata.CLUSTER_ID).toBe('cluster-b');
    expect(json.node.metadata.LABELS).toEqual({ app: 'istio-eastwestgateway', istio: 'eastwestgateway' });
    expect(json.admin.address.socket_address).toEqual({ address: '0.0.0.0', port_value: 15000 });
  });

  it.each([
    [{ tls: true, rootCert: undefined }, /--tls needs --root-cert-file/],
    [{ tls: false }, /--root-cert-file is only used with --tls/],
    [{ xdsAddress: 'meshpilot' }, /--xds-address: expected host:port/],
    [{ xdsAddress: 'meshpilot:70000' }, /--xds-address: expected host:port/],
    [{ type: 'gateway' }, /--type: expected sidecar or router/],
    [{ label: ['novalue'] }, /--label: expected key=value/],
    [{ podIp: ' ' }, /--pod-ip must not be empty/],
    [{ tokenFile: '/nonexistent/token' }, /--token-file: cannot read/],
  ])('rejects bad flags %j with exit 1 and a coded error', async (override, message) => {
    const stdout = sink();
    const stderr = sink();
    expect(await runBootstrapCommand({ ...ROUTER_FLAGS, ...override } as BootstrapFlags, stdout, stderr)).toBe(1);
    expect(stderr.text()).toMatch(message);
    expect(stderr.text()).toContain('MESHPILOT_ERR_BOOTSTRAP_INPUT');
    expect(stdout.text()).toBe('');
  });

  it('refuses to render a bootstrap that breaks validate.rules, naming the path', () => {
    const bootstrap = bootstrapObject(
      buildEnvoyBootstrap({
        proxyType: 'sidecar',
        podIp: '10.0.0.1',
        podName: 'p',
        namespace: 'n',
        serviceAccount: 's',
        kubeCluster: 'c',
        xds: { address: { host: '10.0.0.2', port: 15010 } },
      }),
    );
    const clusters = (bootstrap['static_resources'] as { clusters: Record<string, unknown>[] }).clusters;
    clusters[0] = { ...clusters[0], name: '' };
    const result = renderBootstrap(bootstrap);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations.map((v) => v.path)).toContain('static_resources.clusters[0].name');
  });

  it('runs as a subcommand: prints the JSON to stdout and exits 0', async () => {
    const args = [
      'bootstrap',
      '--type',
      'sidecar',
      '--pod-ip',
      '10.0.0.5',
      '--pod-name',
      'p-0',
      '--namespace',
      'default',
      '--service-account',
      'sa',
      '--cluster-id',
      'cluster-a',
      '--xds-address',
      'meshpilot:15010',
      '--label',
      'app=p',
      '--label',
      'version=v1',
    ];
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'meshpilot-ts.js'), ...args], { cwd: ROOT });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('meshpilot bootstrap did not exit within 30 s'));
      }, 30_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(validateResourceBytes(BOOTSTRAP_TYPE, envoyParse(result.stdout))).toEqual([]);
    expect(JSON.parse(result.stdout).node.metadata.LABELS).toEqual({ app: 'p', version: 'v1' });
  });
});
