import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

/**
 * `npm run build` (tsc into dist/ plus the run-time assets) and the compiled bin: what `npm start`, the
 * package bin, the image and the bench run. The other CLI tests run the sources through bin/meshpilot-ts.js.
 */

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'meshpilot.js');
const SEED = join(ROOT, 'examples', 'seed', 'meshpilot.yaml');

function run(file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(file, [...args], { cwd: ROOT, timeout: 240_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, stdout, stderr });
    });
  });
}

async function jsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.js')).map((e) => join(e.parentPath, e.name));
}

describe('compiled build', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-compiled-'));
    const build = await run('npm', ['run', 'build']);
    expect(build.code, `npm run build failed:\n${build.stdout}\n${build.stderr}`).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('emits JavaScript with source maps, no tests, and no import of a .ts file', async () => {
    expect(existsSync(join(ROOT, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist', 'cli', 'main.js.map'))).toBe(true);
    const files = await jsFiles(join(ROOT, 'dist'));
    expect(files.filter((f) => f.endsWith('.test.js'))).toEqual([]);
    const tsImport = /(?:from\s*|import\(\s*)['"]\.{1,2}\/[^'"]*\.ts['"]/;
    const offenders: string[] = [];
    for (const file of files) if (tsImport.test(await readFile(file, 'utf8'))) offenders.push(file);
    expect(offenders).toEqual([]);
  });

  it('runs --help and validate from dist/', async () => {
    const help = await run(process.execPath, [BIN, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: meshpilot/);
    const validate = await run(process.execPath, [BIN, 'validate', '--config', SEED]);
    expect(validate.stdout).toMatch(/^config OK/);
    expect(validate.code).toBe(0);
  });

  it('serves the seed example from dist/: ready, the registry merged, the /ui page and its assets', async () => {
    const config = parse(await readFile(SEED, 'utf8')) as {
      listen: Record<string, string>;
      clusters: { manifests: string }[];
      config: { manifests: string }[];
    };
    for (const key of Object.keys(config.listen)) config.listen[key] = '127.0.0.1:0';
    for (const entry of [...config.clusters, ...config.config])
      entry.manifests = resolve(dirname(SEED), entry.manifests);
    const configPath = join(dir, 'meshpilot.yaml');
    await writeFile(configPath, stringify(config));

    const child = spawn(process.execPath, [BIN, 'serve', '--config', configPath], { cwd: ROOT });
    try {
      const admin = await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error('no "meshpilot serving" line within 30 s')), 30_000);
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (!line.includes('"meshpilot serving"')) return;
          clearTimeout(timer);
          done((JSON.parse(line) as { admin: string }).admin);
        });
        child.on('exit', (code) => fail(new Error(`serve exited ${code}`)));
      });
      expect((await fetch(`http://${admin}/readyz`)).status).toBe(200);
      const registry = (await (await fetch(`http://${admin}/debug/registryz`)).json()) as {
        services: { hostname: string; kubeClusters: string[] }[];
      };
      const hello = registry.services.find((s) => s.hostname === 'helloworld.default.svc.cluster.local');
      expect(hello?.kubeClusters).toEqual(['cluster-a', 'cluster-b']);
      const page = await fetch(`http://${admin}/ui`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const scripts = [...html.matchAll(/src="([^"]+\.js)"/g)].map((m) => m[1] ?? '');
      expect(scripts.length).toBeGreaterThan(0);
      for (const script of scripts) expect((await fetch(new URL(script, `http://${admin}/ui/`))).status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((done) => child.on('exit', done));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
