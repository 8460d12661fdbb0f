import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CLUSTER_TYPE } from '../protos/type-urls.ts';
import { AdsTestClient, node } from './support/ads-client.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'meshpilot-ts.js');
const SEED = join(ROOT, 'examples', 'seed', 'meshpilot.yaml');

interface LogLine {
  readonly msg?: string;
  readonly worker?: number;
  readonly pid?: number;
  readonly xds?: string;
  readonly workers?: number[];
}

/** `meshpilot serve --processes N` as a user runs it, its JSON log lines collected. */
function serve(args: readonly string[]): { child: ChildProcess; lines: LogLine[]; stderr: string[] } {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // not a log record
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  return { child, lines, stderr };
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i += 1) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', r));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('meshpilot serve --processes N (several stream-serving processes on one port)', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('serves ADS streams from every worker on the one port, and SIGTERM stops them all', async () => {
    const { child, lines } = serve([
      '--config',
      SEED,
      '--xds',
      '127.0.0.1:0',
      '--admin',
      '127.0.0.1:0',
      '--processes',
      '2',
    ]);
    children.push(child);
    const serving = await until(
      () => lines.find((l) => l.msg === 'meshpilot serving' && l.worker === undefined),
      'the primary\'s "meshpilot serving"',
      120_000,
    );
    expect(serving.workers).toHaveLength(2);
    // Every worker bound the same shared ports.
    const workerLines = lines.filter(
      (l) => l.msg === 'worker 1: meshpilot serving' || l.msg === 'worker 2: meshpilot serving',
    );
    expect(workerLines.map((l) => l.xds)).toEqual([serving.xds, serving.xds]);

    // Separate connections (no shared subchannel): the primary hands them to the workers in turn.
    const clients = Array.from({ length: 6 }, (_, i) => {
      const client = new AdsTestClient(serving.xds!, 'sotw', {
        channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
      });
      client.send({
        node: node(`sidecar~10.10.0.${20 + i}~sleep-${i}.default~default.svc.cluster.local`, {
          CLUSTER_ID: 'cluster-a',
          NETWORK: 'group20',
        }),
        type_url: CLUSTER_TYPE,
        resource_names: [],
      });
      return client;
    });
    try {
      for (const client of clients) {
        const response = await client.responses.next(60_000);
        expect(response.type_url).toBe(CLUSTER_TYPE);
        expect(response.names).toContain('outbound|5000||helloworld.default.svc.cluster.local');
      }
      const servedBy = await until(
        () => {
          const connected = lines.filter((l) => l.msg?.endsWith('proxy connected'));
          return connected.length >= clients.length ? new Set(connected.map((l) => l.worker)) : undefined;
        },
        'every stream logged as connected',
        30_000,
      );
      expect([...servedBy].sort()).toEqual([1, 2]);
    } finally {
      for (const client of clients) client.close();
    }

    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    for (const pid of serving.workers!) expect(alive(pid), `worker pid ${pid} stopped`).toBe(false);
  }, 240_000);

  it('refuses a config with security: each process would mint its own CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshpilot-processes-'));
    dirs.push(dir);
    await mkdir(join(dir, 'c1'));
    const config = join(dir, 'meshpilot.yaml');
    await writeFile(
      config,
      stringify({
        clusters: [{ name: 'c1', network: 'n1', manifests: join(dir, 'c1') }],
        security: { caDir: join(dir, 'ca'), servingDnsNames: ['localhost'], servingIps: ['127.0.0.1'] },
      }),
    );
    const { child, stderr } = serve(['--config', config, '--processes', '2']);
    children.push(child);
    expect(await exited(child)).toBe(1);
    expect(stderr.join('\n')).toMatch(/serve --processes 2: security is configured.*MESHPILOT_ERR_SERVE_PROCESSES/);
  }, 120_000);
});
