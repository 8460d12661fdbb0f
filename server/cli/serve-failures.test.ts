import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'meshpilot-ts.js');
/** Root reads any file: the unreadable-file cases run the child as nobody so permissions apply. */
const AS_NOBODY = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function serve(config: string, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--config', config], { cwd: ROOT, ...AS_NOBODY });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`meshpilot serve --config ${config} did not exit within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function expectOneCodedLine(run: Run, code: string, mentions: string): void {
  expect(run.code).toBe(1);
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^${code}: `));
  expect(lines[0]).toContain(mentions);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('meshpilot serve fails friendly: one coded line, no stack trace, exit 1', () => {
  let dir: string;
  let taken: Server;
  let takenPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-serve-fail-'));
    await chmod(dir, 0o755);
    taken = createServer();
    takenPort = await new Promise<number>((resolve) =>
      taken.listen(0, '127.0.0.1', () => {
        const address = taken.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      }),
    );
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  async function config(name: string, body: Record<string, unknown>): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, stringify({ logLevel: 'warn', ...body }), { mode: 0o644 });
    return path;
  }

  it('names a taken xDS port', { timeout: 70_000 }, async () => {
    const path = await config('xds-port.yaml', { listen: { xds: `127.0.0.1:${takenPort}`, admin: '127.0.0.1:0' } });
    expectOneCodedLine(await serve(path), 'MESHPILOT_ERR_PORT_IN_USE', `127.0.0.1:${takenPort}`);
  });

  it('names a taken admin port', { timeout: 70_000 }, async () => {
    const path = await config('admin-port.yaml', { listen: { xds: '127.0.0.1:0', admin: `127.0.0.1:${takenPort}` } });
    expectOneCodedLine(await serve(path), 'MESHPILOT_ERR_PORT_IN_USE', `127.0.0.1:${takenPort}`);
  });

  it('names an unreadable CA folder', { timeout: 70_000 }, async () => {
    const caDir = join(dir, 'locked-ca');
    await mkdir(caDir);
    await chmod(caDir, 0o000);
    const path = await config('ca.yaml', {
      listen: { xds: '127.0.0.1:0', xdsTls: '127.0.0.1:0', admin: '127.0.0.1:0' },
      security: { caDir },
    });
    expectOneCodedLine(await serve(path), 'MESHPILOT_ERR_CA_FILE_INVALID', caDir);
  });

  it('names a kubeconfig meshpilot may not read', { timeout: 70_000 }, async () => {
    const kubeconfig = join(dir, 'locked-kubeconfig.yaml');
    await writeFile(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'u', user: { token: 'not-a-real-token' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
      { mode: 0o000 },
    );
    const caDir = join(dir, 'open-ca');
    await mkdir(caDir);
    await chmod(caDir, 0o777);
    const path = await config('kubeconfig.yaml', {
      listen: { xds: '127.0.0.1:0', xdsTls: '127.0.0.1:0', admin: '127.0.0.1:0' },
      clusters: [{ name: 'cluster-a', network: 'net-a', kubeconfig }],
      readiness: { remoteClusterTimeoutMs: 1000 },
      security: { caDir, tokenReviewCluster: 'cluster-a' },
    });
    const run = await serve(path);
    expectOneCodedLine(run, 'MESHPILOT_ERR_SECURITY_CONFIG', kubeconfig);
    expect(run.stderr).not.toContain('not-a-real-token');
  });
});
