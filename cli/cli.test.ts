import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'meshpilot-ts.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 20_000): Promise<Run> {
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

describe('meshpilot command line (subprocess)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validate prints three errors naming their paths for a config with three mistakes, and exits 1', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(
      config,
      [
        'listen:',
        '  admin: 127.0.0.1:99999',
        'clusters:',
        '  - { name: cluster-a, network: group20, manifests: ./missing-folder/ }',
        'meshNetwork: {}',
        '',
      ].join('\n'),
    );
    const result = await run(['validate', '--config', config]);
    expect(result.code).toBe(1);
    const errors = result.stdout.split('\n').filter((line) => /\[MESHPILOT_ERR_/.test(line));
    expect(errors).toHaveLength(3);
    expect(errors.some((l) => l.startsWith('listen.admin:'))).toBe(true);
    expect(errors.some((l) => l.startsWith('clusters[0].manifests:'))).toBe(true);
    expect(errors.some((l) => l.startsWith('meshNetwork:'))).toBe(true);
  });

  it('validate accepts the bundled example and exits 0', async () => {
    const result = await run(['validate', '--config', join(ROOT, 'examples/seed/meshpilot.yaml')]);
    expect(result.stdout).toMatch(/^config OK/);
    expect(result.code).toBe(0);
  });

  it('serve runs the bundled example, answers /readyz, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--config',
        join(ROOT, 'examples/seed/meshpilot.yaml'),
        '--xds',
        '127.0.0.1:0',
        '--admin',
        '127.0.0.1:0',
      ],
      { cwd: ROOT },
    );
    try {
      const adminAddress = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no "meshpilot serving" line: ${out}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.includes('"meshpilot serving"'));
          if (line) {
            clearTimeout(timer);
            resolve((JSON.parse(line) as { admin: string }).admin);
          }
        });
      });
      const ready = await fetch(`http://${adminAddress}/readyz`);
      expect(ready.status).toBe(200);
      const registry = (await (await fetch(`http://${adminAddress}/debug/registryz`)).json()) as {
        services: { hostname: string; kubeClusters: string[] }[];
      };
      const hello = registry.services.find((s) => s.hostname === 'helloworld.default.svc.cluster.local');
      expect(hello?.kubeClusters).toEqual(['cluster-a', 'cluster-b']);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
