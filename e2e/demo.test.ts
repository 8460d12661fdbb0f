import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, eventuallyResolves } from './support/eventually.ts';

// `npm start` runs `meshpilot demo --config examples/demo/meshpilot.yaml`; this runs the same command
// (from the sources, on ephemeral control-plane ports) and then the commands it tells the user to try.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'meshpilot-ts.js');
const PROXIES = [
  'router~127.0.20.100~istio-eastwestgateway-a.istio-system~istio-system.svc.cluster.local',
  'router~127.0.30.100~istio-eastwestgateway-b.istio-system~istio-system.svc.cluster.local',
  'sidecar~127.0.20.1~helloworld-v1-0.default~default.svc.cluster.local',
  'sidecar~127.0.20.10~client-0.default~default.svc.cluster.local',
  'sidecar~127.0.30.1~helloworld-v2-0.default~default.svc.cluster.local',
];

function run(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`meshpilot ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The `meshpilot …` lines under "Try first", as argument lists, and the /ui address. */
function suggestions(banner: string): { commands: string[][]; ui: string } {
  const tryFirst = banner.slice(banner.indexOf('Try first'));
  const lines = tryFirst.split('\n').map((l) => l.trim());
  const commands = lines.filter((l) => l.startsWith('meshpilot ')).map((l) => l.split(/\s+/).slice(1));
  const ui = lines.find((l) => /^http:\/\/.*\/ui$/.test(l)) ?? '';
  return { commands, ui };
}

describe('npm start: meshpilot demo with live proxies', () => {
  let demo: ChildProcessWithoutNullStreams;
  let stdout = '';
  let stderr = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    demo = spawn(
      process.execPath,
      [
        BIN,
        'demo',
        '--config',
        'examples/demo/meshpilot.yaml',
        '--xds',
        '127.0.0.1:0',
        '--admin',
        '127.0.0.1:0',
        '--report-every',
        '500',
      ],
      { cwd: ROOT },
    );
    demo.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise((resolve) => demo.on('exit', (code) => resolve(code)));
    await eventually(() => stdout.includes('Ctrl-C stops the demo.') || demo.exitCode !== null, 'the banner', 60_000);
    expect(stderr).toBe('');
  }, 90_000);

  afterAll(() => {
    if (demo.exitCode === null) demo.kill('SIGKILL');
  });

  it('prints the three commands to try first: proxy-status, explain and the /ui address', () => {
    const { commands, ui } = suggestions(stdout);
    expect(commands.map((c) => c[0])).toEqual(['proxy-status', 'explain']);
    expect(ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui$/);
  });

  it('proxy-status (as printed) lists the sidecars of both networks, both east-west gateways and the gRPC client, all SYNCED', async () => {
    const [proxyStatus] = suggestions(stdout).commands;
    const rows = await eventuallyResolves(
      async () => {
        const result = await run([...proxyStatus!, '-o', 'json']);
        expect(result.code).toBe(0);
        const entries = JSON.parse(result.stdout) as {
          proxy: string;
          kubeCluster: string;
          network: string;
          types: Record<string, { status: string }>;
        }[];
        expect(entries.map((e) => e.proxy).sort()).toEqual([...PROXIES].sort());
        for (const entry of entries) {
          const statuses = Object.entries(entry.types).map(([type, t]) => `${type}:${t.status}`);
          expect(
            statuses.every((s) => s.endsWith(':SYNCED')),
            `${entry.proxy} ${statuses.join(' ')}`,
          ).toBe(true);
          expect(Object.keys(entry.types)).toEqual(expect.arrayContaining(['cds', 'eds', 'lds']));
        }
        return entries;
      },
      'every demo proxy SYNCED',
      60_000,
      500,
    );
    const byProxy = Object.fromEntries(rows.map((r) => [r.proxy, `${r.kubeCluster}/${r.network}`]));
    expect(byProxy[PROXIES[0]!]).toBe('cluster-a/group20');
    expect(byProxy[PROXIES[1]!]).toBe('cluster-b/group30');
    expect(byProxy[PROXIES[2]!]).toBe('cluster-a/group20');
    expect(byProxy[PROXIES[4]!]).toBe('cluster-b/group30');
    // Sidecars and the gRPC client got their routes too.
    for (const sidecar of PROXIES.slice(2))
      expect(Object.keys(rows.find((r) => r.proxy === sidecar)!.types)).toContain('rds');
  }, 90_000);

  it("the gRPC client's RPCs succeed, answered by the helloworld servers of its own network", async () => {
    await eventually(() => /RPCs ok/.test(stdout), 'a tally line', 60_000, 100);
    const tallies = () => stdout.split('\n').filter((l) => l.startsWith('grpc client client-0.default: '));
    await eventually(
      () => Number(/: (\d+) RPCs ok/.exec(tallies().at(-1) ?? '')?.[1] ?? 0) >= 3,
      'three successful RPCs',
      60_000,
      100,
    );
    const last = tallies().at(-1)!;
    expect(last).toMatch(/, 0 failed$/);
    const servers = [...last.matchAll(/(127\.0\.\d+\.\d+):5000 \d+/g)].map((m) => m[1]);
    expect(servers.length).toBeGreaterThan(0);
    for (const server of servers) expect(server).toMatch(/^127\.0\.20\./);
  }, 90_000);

  it('explain (as printed) shows the other network behind its east-west gateway at priority 1', async () => {
    const explain = suggestions(stdout).commands[1]!;
    const result = await run(explain);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const remote = result.stdout.split('\n').find((l) => l.startsWith('127.0.30.1:5000'));
    expect(remote).toMatch(/cluster-b\s+group30\s+cn\/shanghai-130\s+via-gateway\s+127\.0\.30\.100:15443\s+1\s/);
    const local = result.stdout.split('\n').find((l) => l.startsWith('127.0.20.1:5000'));
    expect(local).toMatch(/cluster-a\s+group20\s+cn\/shanghai-20\s+local\s+127\.0\.20\.1:5000\s+0\s/);
  }, 60_000);

  it('stops cleanly on Ctrl-C (SIGINT): exit code 0 and every workload closed', async () => {
    demo.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running after 20 s'), 20_000)),
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/SIGINT: stopping the demo\n[\s\S]*demo stopped\n$/);
    expect(stderr).toBe('');
  }, 30_000);
});
