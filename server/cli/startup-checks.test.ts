import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa } from '../security/ca.ts';
import { runValidate } from './validate-command.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'meshpilot-ts.js');
/** Root reads and writes anything: the permission cases run validate as nobody so permissions apply. */
const AS_NOBODY = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const FREE = { xds: '127.0.0.1:0', admin: '127.0.0.1:0' };

let dir: string;
let taken: Server;
let takenPort: number;

function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshpilot-startup-checks-'));
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'cluster-a'));
  await writeFile(
    join(dir, 'cluster-a', 'pod.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata: { name: helloworld, namespace: default }\n',
    { mode: 0o644 },
  );
  await chmod(join(dir, 'cluster-a'), 0o755);
  taken = createServer();
  takenPort = await listenOnLoopback(taken);
});

afterAll(async () => {
  await new Promise<void>((resolve) => taken.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function config(name: string, body: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  const cluster = { name: 'cluster-a', network: 'net-a', manifests: './cluster-a/' };
  await writeFile(path, stringify({ meshId: 'mesh1', clusters: [cluster], ...body }), { mode: 0o644 });
  return path;
}

async function validate(path: string): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runValidate(path, { write: (line) => lines.push(line.slice(0, -1)) });
  return { code, lines };
}

/** `meshpilot validate` in its own process, as nobody (permissions apply). */
function validateAsNobody(path: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'validate', '--config', path], { cwd: ROOT, ...AS_NOBODY });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`meshpilot validate --config ${path} did not exit within 60 s: ${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('validate foresees what serve would stop on at start', () => {
  it('warns, naming the key, when a listen port is taken on this host now (a real socket holds it)', async () => {
    const path = await config('taken.yaml', { listen: { ...FREE, xds: `127.0.0.1:${takenPort}` } });
    const { code, lines } = await validate(path);
    expect(lines[0]).toBe(
      `warning: listen.xds: 127.0.0.1:${takenPort} is in use on this host now; serve would fail to start with MESHPILOT_ERR_PORT_IN_USE unless that changes [MESHPILOT_ERR_PORT_IN_USE]`,
    );
    expect(lines.at(-1)).toMatch(/^config OK with warnings: .*serve could not bind 1 listen address on this host now/);
    expect(code).toBe(0);
    // The same config with the port freed: no warning (the check binds and lets go, nothing stays open).
    const free = createServer();
    const freePort = await listenOnLoopback(free);
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const clean = await validate(await config('free.yaml', { listen: { ...FREE, xds: `127.0.0.1:${freePort}` } }));
    expect(clean.lines).toEqual([expect.stringMatching(/^config OK: /)]);
    expect(clean.code).toBe(0);
  });

  it('fails on the same port twice, naming both keys, also when one listener is on every address', async () => {
    const same = await config('same.yaml', {
      listen: { xds: '127.0.0.1:25010', admin: '127.0.0.1:25010' },
    });
    const { code, lines } = await validate(same);
    expect(lines).toEqual([
      'listen.admin: 127.0.0.1:25010 uses the port of listen.xds (127.0.0.1:25010); serve would fail to bind it (MESHPILOT_ERR_PORT_IN_USE): give each listener its own port [MESHPILOT_ERR_CONFIG_DUPLICATE_PORT]',
      `${same}: validation failed: 1 error serve would stop at start`,
    ]);
    expect(code).toBe(1);
    const wildcard = await config('wildcard.yaml', {
      listen: { xds: '127.0.0.1:0', xdsTls: '0.0.0.0:25012', admin: '127.0.0.1:25012' },
      security: { caDir: './ca-wildcard' },
    });
    expect((await validate(wildcard)).lines[0]).toMatch(
      /^listen\.admin: 127\.0\.0\.1:25012 uses the port of listen\.xdsTls \(0\.0\.0\.0:25012\).*\[MESHPILOT_ERR_CONFIG_DUPLICATE_PORT\]$/,
    );
    // Different hosts on one port do not collide; port 0 never does.
    const apart = await config('apart.yaml', { listen: { xds: '127.0.0.2:0', admin: '127.0.0.3:0' } });
    expect((await validate(apart)).code).toBe(0);
  });

  it('fails on an invalid CA file, naming security.caDir and the file', async () => {
    const caDir = join(dir, 'bad-ca');
    await mkdir(caDir);
    for (const name of ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem'])
      await writeFile(join(caDir, name), 'not a certificate\n');
    const path = await config('bad-ca.yaml', { listen: FREE, security: { caDir } });
    const { code, lines } = await validate(path);
    expect(lines[0]).toMatch(
      new RegExp(
        `^security\\.caDir: ${join(caDir, 'ca-cert.pem').replaceAll('.', '\\.')}: .*\\[MESHPILOT_ERR_CA_FILE_INVALID\\]$`,
      ),
    );
    expect(lines.at(-1)).toBe(`${path}: validation failed: 1 error serve would stop at start`);
    expect(code).toBe(1);
  });

  it('passes a valid CA folder (the files serve generates) and an empty one it may write', async () => {
    const caDir = join(dir, 'good-ca');
    await loadOrCreateCa({ dir: caDir, trustDomain: 'cluster.local' });
    expect((await validate(await config('good-ca.yaml', { listen: FREE, security: { caDir } }))).code).toBe(0);
    const fresh = join(dir, 'fresh', 'ca');
    expect((await validate(await config('fresh-ca.yaml', { listen: FREE, security: { caDir: fresh } }))).code).toBe(0);
  });

  it('fails on a CA folder with some of the four files, naming the missing ones', async () => {
    const caDir = join(dir, 'partial-ca');
    await mkdir(caDir);
    await writeFile(join(caDir, 'ca-cert.pem'), 'x\n');
    const { code, lines } = await validate(await config('partial-ca.yaml', { listen: FREE, security: { caDir } }));
    expect(lines[0]).toMatch(
      /^security\.caDir: CA folder .* is missing .*ca-key\.pem.*\[MESHPILOT_ERR_CA_FILE_MISSING\]$/,
    );
    expect(code).toBe(1);
  });

  it('fails on a CA folder meshpilot may not read (run as nobody)', { timeout: 70_000 }, async () => {
    const caDir = join(dir, 'locked-ca');
    await mkdir(caDir);
    await chmod(caDir, 0o000);
    const run = await validateAsNobody(await config('locked-ca.yaml', { listen: FREE, security: { caDir } }));
    expect(run.stdout).toMatch(
      new RegExp(
        `^security\\.caDir: cannot read ${caDir}/ca-cert\\.pem: .*EACCES.*\\[MESHPILOT_ERR_CA_FILE_INVALID\\]$`,
        'm',
      ),
    );
    expect(run.code).toBe(1);
  });

  it(
    'fails on an empty CA folder where the generated root cannot be written (run as nobody)',
    { timeout: 70_000 },
    async () => {
      const parent = join(dir, 'read-only');
      await mkdir(parent);
      await chmod(parent, 0o555);
      const caDir = join(parent, 'ca');
      const run = await validateAsNobody(await config('read-only-ca.yaml', { listen: FREE, security: { caDir } }));
      expect(run.stdout).toMatch(
        new RegExp(
          `^security\\.caDir: ${caDir} has no CA files, so serve would generate a root there, but ${parent} is not writable: .*\\[MESHPILOT_ERR_CA_WRITE_FAILED\\]$`,
          'm',
        ),
      );
      expect(run.code).toBe(1);
    },
  );

  it('fails on a kubeconfig meshpilot may not read (run as nobody)', { timeout: 70_000 }, async () => {
    const kubeconfig = join(dir, 'locked-kubeconfig.yaml');
    await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\n', { mode: 0o000 });
    const path = join(dir, 'kubeconfig.yaml');
    await writeFile(
      path,
      stringify({ meshId: 'mesh1', listen: FREE, clusters: [{ name: 'cluster-a', network: 'net-a', kubeconfig }] }),
      { mode: 0o644 },
    );
    const run = await validateAsNobody(path);
    expect(run.stdout).toMatch(
      new RegExp(
        `^clusters\\[0\\]\\.kubeconfig: cannot read ${kubeconfig}: .*\\[MESHPILOT_ERR_CONFIG_FILE_UNREADABLE\\]$`,
        'm',
      ),
    );
    expect(run.code).toBe(1);
  });
});
