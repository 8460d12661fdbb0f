import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TYPE } from '../protos/type-urls.ts';
import { AdsTestClient, node } from './support/ads-client.ts';
import { eventually } from './support/eventually.ts';
import { tempDir, writeCluster } from './support/mesh-fixture.ts';
import { runProcess } from './support/run-process.ts';

// Issue 18 point 6: a proxy whose CLUSTER_ID or NETWORK matches nothing meshpilot knows is served as it
// claims, but said: one warning line when it connects, a metric, a flag in proxy-status and /debug/syncz.
// Also the two logging habits of the point on the real `meshpilot serve`: --log-format text, and the log
// level changed while it runs (/scopej/default, as istiod's ControlZ).

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'meshpilot-ts.js');
const STRAY = 'sidecar~127.0.0.21~stray-0.default~default.svc.cluster.local';
const QUIET_STRAY = 'sidecar~127.0.0.22~stray-1.default~default.svc.cluster.local';
const LOUD_STRAY = 'sidecar~127.0.0.23~stray-2.default~default.svc.cluster.local';
const GOOD = 'sidecar~127.0.0.24~good-0.default~default.svc.cluster.local';
const WARNING = 'MESHPILOT_ERR_PROXY_UNKNOWN_CLUSTER';

/** One ADS stream that has been answered CDS (so the proxy is identified and listed). */
async function connect(xds: string, id: string, metadata: Record<string, string>): Promise<AdsTestClient> {
  const client = new AdsTestClient(xds);
  client.send({ node: node(id, metadata), type_url: CLUSTER_TYPE, resource_names: [] });
  const response = await client.responses.next();
  expect(response.type_url).toBe(CLUSTER_TYPE);
  return client;
}

describe('a proxy with an unknown CLUSTER_ID or NETWORK, against meshpilot serve --log-format text', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ChildProcess;
  let stdout = '';
  let xds = '';
  let admin = '';
  const clients: AdsTestClient[] = [];
  const lines = (): string[] => stdout.split('\n').filter((line) => line !== '');
  const warnings = (): string[] => lines().filter((line) => line.includes(WARNING));

  beforeAll(async () => {
    dir = await tempDir('unknown-cluster');
    await writeCluster(join(dir.path, 'a'), [{ name: 'helloworld', port: 5000, endpoints: [{ ip: '127.0.0.2' }] }]);
    await writeCluster(join(dir.path, 'b'), [{ name: 'helloworld', port: 5000, endpoints: [{ ip: '127.0.0.3' }] }]);
    const config = join(dir.path, 'meshpilot.yaml');
    await writeFile(
      config,
      stringify({
        clusters: [
          { name: 'cluster-a', network: 'net-a', manifests: join(dir.path, 'a') },
          { name: 'cluster-b', network: 'net-b', manifests: join(dir.path, 'b') },
        ],
        listen: { xds: '127.0.0.1:0', admin: '127.0.0.1:0' },
        logLevel: 'info',
      }),
    );
    serve = spawn(process.execPath, [BIN, 'serve', '--config', config, '--log-format', 'text'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    serve.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    await eventually(() => lines().some((l) => l.includes('meshpilot serving')), 'meshpilot serving', 60_000, 100);
    const serving = lines().find((l) => l.includes('meshpilot serving')) ?? '';
    xds = /\bxds=(127\.0\.0\.1:\d+)/.exec(serving)?.[1] ?? '';
    admin = `http://${/\badmin=(127\.0\.0\.1:\d+)/.exec(serving)?.[1] ?? ''}`;
    expect(xds).not.toBe('');
  }, 90_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    if (serve && serve.exitCode === null) {
      const exited = new Promise((resolve) => serve.once('exit', resolve));
      serve.kill('SIGTERM');
      await exited;
    }
    await dir?.remove();
  });

  it('logs lines as text, not JSON', () => {
    const serving = lines().find((l) => l.includes('meshpilot serving')) ?? '';
    expect(serving).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}meshpilot serving xds=127\.0\.0\.1:\d+ /);
    expect(lines().filter((l) => l.startsWith('{'))).toEqual([]);
  });

  it('warns once for a proxy claiming an unknown CLUSTER_ID and NETWORK, naming both and what is known', async () => {
    clients.push(await connect(xds, STRAY, { CLUSTER_ID: 'cluster-x', NETWORK: 'net-z' }));
    clients.push(await connect(xds, GOOD, { CLUSTER_ID: 'cluster-a', NETWORK: 'net-a' }));
    await eventually(() => lines().some((l) => l.includes(GOOD)), 'the known proxy to connect', 10_000);
    const mine = warnings();
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(/^\S+ WARN {2}proxy served as it claims, but its CLUSTER_ID "cluster-x" matches no kube/);
    expect(mine[0]).toContain('CLUSTER_ID "cluster-x" matches no kube cluster (known: cluster-a, cluster-b)');
    expect(mine[0]).toContain('NETWORK "net-z" matches no network (known: net-a, net-b)');
    expect(mine[0]).toContain(`proxy=${STRAY}`);
    // More requests on the same stream say nothing more.
    clients[0]?.send({ type_url: CLUSTER_TYPE, resource_names: [] });
    await clients[0]?.responses.quiet(300);
    expect(warnings()).toHaveLength(1);
  });

  it('counts such proxies in meshpilot_proxies_unknown_cluster, by reason', async () => {
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/^meshpilot_proxies_unknown_cluster\{reason="cluster_id"\} 1$/m);
    expect(metrics).toMatch(/^meshpilot_proxies_unknown_cluster\{reason="network"\} 1$/m);
  });

  it('flags it in /debug/syncz and in meshpilot proxy-status, and not the known proxy', async () => {
    const syncz = (await (await fetch(`${admin}/debug/syncz`)).json()) as {
      proxy: string;
      unknownTopology?: { field: string; value: string; message: string }[];
    }[];
    const stray = syncz.find((e) => e.proxy === STRAY);
    expect(stray?.unknownTopology?.map((u) => [u.field, u.value])).toEqual([
      ['CLUSTER_ID', 'cluster-x'],
      ['NETWORK', 'net-z'],
    ]);
    expect(syncz.find((e) => e.proxy === GOOD)).not.toHaveProperty('unknownTopology');

    const status = await runProcess(process.execPath, [BIN, 'proxy-status', '--admin', admin], { cwd: ROOT });
    expect(status.code).toBe(0);
    const row = (id: string): string[] =>
      (status.stdout.split('\n').find((l) => l.startsWith(id)) ?? '').split(/\s{2,}/);
    expect(row(STRAY).slice(0, 3)).toEqual([STRAY, 'cluster-x (unknown)', 'net-z (unknown)']);
    expect(row(GOOD).slice(0, 3)).toEqual([GOOD, 'cluster-a', 'net-a']);
  }, 30_000);

  it('follows a log level changed at run time: a warning is silent at error, heard again at info', async () => {
    const quiet = await fetch(`${admin}/scopej/default?level=error`, { method: 'PUT' });
    expect(quiet.status).toBe(200);
    clients.push(await connect(xds, QUIET_STRAY, { CLUSTER_ID: 'cluster-y' }));
    const loud = await fetch(`${admin}/scopej/default`, { method: 'PUT', body: '{"output_level":"info"}' });
    expect(loud.status).toBe(200);
    await eventually(() => lines().some((l) => l.includes('log level changed')), 'the change logged', 10_000);
    expect(lines().find((l) => l.includes('log level changed'))).toMatch(
      /^\S+ WARN {2}log level changed previous=error output_level=info$/,
    );
    clients.push(await connect(xds, LOUD_STRAY, { NETWORK: 'net-y' }));
    await eventually(() => warnings().some((l) => l.includes(LOUD_STRAY)), 'the warning at info', 10_000);
    // Lines leave in order: had the quiet one been logged, it would be here before the loud one.
    expect(warnings().some((l) => l.includes(QUIET_STRAY))).toBe(false);
    expect(warnings().find((l) => l.includes(LOUD_STRAY))).toContain('NETWORK "net-y" matches no network');
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/^meshpilot_proxies_unknown_cluster\{reason="cluster_id"\} 2$/m);
    expect(metrics).toMatch(/^meshpilot_proxies_unknown_cluster\{reason="network"\} 2$/m);
  });

  it('stops counting a proxy once it has gone', async () => {
    for (const client of clients.splice(0)) client.close();
    await eventually(
      async () =>
        /^meshpilot_proxies_unknown_cluster\{reason="cluster_id"\} 0$/m.test(
          await (await fetch(`${admin}/metrics`)).text(),
        ),
      'the gauge back at 0',
      10_000,
      100,
    );
  });
});
