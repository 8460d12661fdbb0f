import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AdsTestClient, node } from '../e2e/support/ads-client.ts';
import { startTestMeshpilot } from '../e2e/support/meshpilot-process.ts';
import { tempDir, writeCluster } from '../e2e/support/mesh-fixture.ts';
import { CLUSTER_TYPE } from '../protos/type-urls.ts';
import { defaultKubeconfigPath } from './create-remote-secret.ts';
import { buildProgram } from './main.ts';

// meshpilot's CLI follows istioctl's habits (issue #18 point 4); each `describe` is one habit, run
// through the real command line against a running meshpilot.
const BIN = join(import.meta.dirname, '..', 'bin', 'meshpilot-ts.js');
const PROXY = 'sidecar~127.0.0.9~client-0.default~default.svc.cluster.local';
const OTHER = 'sidecar~127.0.0.10~client-0.other~other.svc.cluster.local';

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`meshpilot ${args.join(' ')}: no exit within 30 s`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('meshpilot CLI follows istioctl habits', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  const clients: AdsTestClient[] = [];
  let admin: string[];

  beforeAll(async () => {
    dir = await tempDir('istioctl-habits');
    await writeCluster(join(dir.path, 'a'), [
      { name: 'helloworld', port: 5000, endpoints: [{ ip: '127.0.0.2' }] },
      { name: 'greeter', port: 6000, clusterIP: '10.96.0.11', endpoints: [{ ip: '127.0.0.3' }] },
    ]);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [{ name: 'cluster-a', network: 'net-a', manifests: join(dir.path, 'a') }],
    });
    admin = ['--admin', meshpilot.adminUrl];
    for (const id of [PROXY, OTHER]) {
      const client = new AdsTestClient(meshpilot.xdsAddress);
      clients.push(client);
      client.send({ node: node(id, { CLUSTER_ID: 'cluster-a' }), type_url: CLUSTER_TYPE, resource_names: [] });
      const cds = await client.responses.next();
      client.send({
        type_url: CLUSTER_TYPE,
        version_info: cds.version_info,
        response_nonce: cds.nonce,
        resource_names: [],
      });
    }
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await meshpilot?.stop();
    await dir?.remove();
  });

  describe('kinds: singular, plural and short', () => {
    it('proxy-config cluster, clusters and c print the same table', async () => {
      const runs = await Promise.all(
        ['cluster', 'clusters', 'c'].map((k) => cli(['proxy-config', k, PROXY, ...admin])),
      );
      expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
      expect(runs[0]!.out).toContain('helloworld.default.svc.cluster.local');
      expect(runs[1]!.out).toBe(runs[0]!.out);
      expect(runs[2]!.out).toBe(runs[0]!.out);
      const bad = await cli(['proxy-config', 'clustr', PROXY, ...admin]);
      expect(bad.code).toBe(1);
      expect(bad.err).toMatch(/expected one of clusters, endpoints, listeners, routes, secret, all/);
    }, 60_000);
  });

  describe('proxies named <pod>.<namespace>', () => {
    it('proxy-config and proxy-status take pod.namespace; a pod name shared by two namespaces is ambiguous', async () => {
      const full = await cli(['proxy-config', 'clusters', PROXY, '-o', 'json', ...admin]);
      const short = await cli(['proxy-config', 'clusters', 'client-0.default', '-o', 'json', ...admin]);
      expect(short.code).toBe(0);
      expect(short.out).toBe(full.out);
      const status = await cli(['proxy-status', 'client-0.other', '-o', 'json', ...admin]);
      expect((JSON.parse(status.out) as { proxy: string }[]).map((e) => e.proxy)).toEqual([OTHER]);
      const ambiguous = await cli(['proxy-status', 'client-0', ...admin]);
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.err).toMatch(/proxy "client-0" is ambiguous: .*client-0\.default.*client-0\.other/);
    }, 60_000);
  });

  describe('-o json | yaml | short', () => {
    it('proxy-status, remote-clusters and version print the same data as JSON and YAML, and a table by default', async () => {
      for (const command of [['proxy-status'], ['remote-clusters'], ['version']]) {
        const [json, yaml, short, bad] = await Promise.all(
          [
            ['-o', 'json'],
            ['-o', 'yaml'],
            ['-o', 'short'],
            ['-o', 'xml'],
          ].map((o) => cli([...command, ...o, ...admin])),
        );
        expect(json!.code, command.join(' ')).toBe(0);
        expect(parse(yaml!.out)).toEqual(JSON.parse(json!.out));
        expect(short!.out).not.toBe(json!.out);
        expect(() => JSON.parse(short!.out)).toThrow();
        expect(bad!.code).toBe(1);
        expect(bad!.err).toMatch(/expected one of short, json, yaml/);
      }
    }, 120_000);
  });

  describe('--fqdn, --port and --direction', () => {
    it('filter proxy-config clusters as istioctl does', async () => {
      const names = async (...flags: string[]): Promise<string[]> => {
        const run = await cli(['proxy-config', 'clusters', PROXY, '-o', 'json', ...flags, ...admin]);
        expect(run.code).toBe(0);
        const section = JSON.parse(run.out) as { dynamic_active_clusters: { cluster: { name: string } }[] };
        return section.dynamic_active_clusters.map((c) => c.cluster.name).sort();
      };
      const all = await names();
      expect(all).toEqual(
        expect.arrayContaining([
          'outbound|5000||helloworld.default.svc.cluster.local',
          'outbound|6000||greeter.default.svc.cluster.local',
        ]),
      );
      expect(await names('--fqdn', 'helloworld')).toEqual(['outbound|5000||helloworld.default.svc.cluster.local']);
      expect(await names('--port', '6000', '--direction', 'outbound')).toEqual([
        'outbound|6000||greeter.default.svc.cluster.local',
      ]);
      expect((await names('--direction', 'inbound')).every((n) => n.startsWith('inbound|'))).toBe(true);
    }, 60_000);
  });

  describe('meshpilot version and meshpilot remote-clusters', () => {
    it('version prints the client and the control plane version; --remote=false only the client', async () => {
      const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
        version: string;
      };
      const both = await cli(['version', ...admin]);
      expect(both.out).toMatch(new RegExp(`^client version: ${pkg.version}\ncontrol plane version: \\S+\n$`));
      const local = await cli(['version', '--remote', 'false', '--admin', 'http://127.0.0.1:1']);
      expect(local).toMatchObject({ code: 0, out: `client version: ${pkg.version}\n` });
      const unreachable = await cli(['version', '--admin', 'http://127.0.0.1:1']);
      expect(unreachable.code).toBe(1);
      expect(unreachable.err).toMatch(/MESHPILOT_ERR_ADMIN_REQUEST/);
    }, 60_000);

    it('remote-clusters lists each kube cluster with its source, network and status', async () => {
      const run = await cli(['remote-clusters', ...admin]);
      expect(run.code).toBe(0);
      const [header, row] = run.out.trim().split('\n');
      expect(header!.split(/\s{2,}/)).toEqual(['NAME', 'SOURCE', 'NETWORK', 'STATUS', 'SYNCED AT', 'LAST ERROR']);
      expect(row!.split(/\s{2,}/).slice(0, 4)).toEqual(['cluster-a', 'manifests', 'net-a', 'synced']);
    }, 60_000);
  });

  describe('$KUBECONFIG and the current context as defaults', () => {
    it('create-remote-secret without --kubeconfig reads the first file of $KUBECONFIG, else ~/.kube/config', async () => {
      expect(defaultKubeconfigPath({ KUBECONFIG: '/a/one:/a/two' })).toBe('/a/one');
      expect(defaultKubeconfigPath({ HOME: '/home/x' })).toMatch(/\.kube\/config$/);
      const missing = join(dir.path, 'no-such-kubeconfig');
      const run = await cli(['create-remote-secret', '--name', 'cluster-a'], { ...process.env, KUBECONFIG: missing });
      expect(run.code).toBe(1);
      expect(run.err).toContain(`the default kubeconfig ($KUBECONFIG, ~/.kube/config) ${missing}`);
    }, 60_000);
  });

  describe('one flag name per concept', () => {
    it('-o is always the output format, a root certificate is always --root-cert-file, the admin URL always --admin', () => {
      const program = buildProgram();
      for (const command of program.commands) {
        for (const option of command.options) {
          if (option.short === '-o') expect(option.long, `${command.name()} -o`).toBe('--output');
          if (option.long === '--output') expect(option.flags, `${command.name()} --output`).toMatch(/<format>/);
          if (/root-cert|root-ca|ca-cert/.test(option.long ?? ''))
            expect(option.long, command.name()).toBe('--root-cert-file');
          if (/admin/.test(option.long ?? '') && command.name() !== 'bootstrap')
            expect(option.long, command.name()).toBe('--admin');
        }
      }
    });

    it('bootstrap: --root-cert-file, -o yaml and --output-file', async () => {
      const base = [
        'bootstrap',
        '--type',
        'sidecar',
        '--pod-ip',
        '10.0.0.5',
        '--pod-name',
        'p',
        '--namespace',
        'default',
      ];
      const rest = ['--service-account', 'sa', '--cluster-id', 'cluster-a', '--xds-address', 'meshpilot:15012'];
      const json = await cli([...base, ...rest, '--tls', '--root-cert-file', '/etc/root.pem']);
      expect(json.code).toBe(0);
      expect(json.out).toContain('/etc/root.pem');
      const yaml = await cli([...base, ...rest, '--tls', '--root-cert-file', '/etc/root.pem', '-o', 'yaml']);
      expect(parse(yaml.out)).toEqual(JSON.parse(json.out));
      const file = join(dir.path, 'bootstrap.json');
      const written = await cli([...base, ...rest, '--output-file', file]);
      expect(written).toMatchObject({ code: 0, out: '' });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('node.id');
      const old = await cli([...base, ...rest, '--tls', '--root-cert', '/etc/root.pem']);
      expect(old.code).toBe(1);
      expect(old.err).toMatch(/unknown option '--root-cert'/);
    }, 60_000);
  });
});
