import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { MESHPILOT_BIN, REPO_ROOT } from './child-process.ts';
import { nowMs, sleep } from './clock.ts';
import { stopChild } from './meshpilot-server.ts';
import { rssBytes } from './proc-stats.ts';

/**
 * Start time and memory of the meshpilot command itself: `--help`, `validate` and `serve` (to a 200 from
 * /readyz) on the seed example, each run `--runs` times; prints the medians as a markdown table row set.
 *
 *   npm run bench:startup -- [--runs N] [--label TEXT] [-- COMMAND...]
 *
 * COMMAND launches meshpilot (default: this node and the compiled bin/meshpilot.js; from the sources,
 * `node --import tsx bench/startup.ts`, bin/meshpilot-ts.js). Peak RSS of the short commands comes
 * from GNU time (`/usr/bin/time -f %M`); for serve it is VmRSS when /readyz first answers 200.
 */

const SEED = join(REPO_ROOT, 'examples', 'seed', 'meshpilot.yaml');
const TIME = '/usr/bin/time';

interface Sample {
  readonly ms: number;
  readonly rssKiB: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The seed config with every listener on an ephemeral loopback port and absolute manifest folders. */
async function seedConfigOnEphemeralPorts(dir: string): Promise<string> {
  const config = parse(await readFile(SEED, 'utf8')) as {
    listen: Record<string, string>;
    clusters: { manifests: string }[];
    config: { manifests: string }[];
  };
  for (const key of Object.keys(config.listen)) config.listen[key] = '127.0.0.1:0';
  for (const entry of [...config.clusters, ...config.config]) entry.manifests = resolve(dirname(SEED), entry.manifests);
  const path = join(dir, 'meshpilot.yaml');
  await writeFile(path, stringify(config));
  return path;
}

/** Runs a command to its end under GNU time: wall-clock ms and peak RSS. */
async function timedRun(command: readonly string[]): Promise<Sample> {
  const started = nowMs();
  const child = spawn(TIME, ['-f', 'maxrss=%M', ...command], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  const ms = nowMs() - started;
  const match = /maxrss=(\d+)/.exec(stderr);
  if (code !== 0 || !match) throw new Error(`${command.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  return { ms, rssKiB: Number(match[1]) };
}

/** Starts serve, waits for /readyz to answer 200, samples RSS, stops it. */
async function timedServe(command: readonly string[], config: string): Promise<Sample> {
  const started = nowMs();
  const [file, ...args] = command;
  if (!file) throw new Error('empty command');
  const child = spawn(file, [...args, 'serve', '--config', config, '--xds', '127.0.0.1:0', '--admin', '127.0.0.1:0'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const admin = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error('no "meshpilot serving" line within 60 s')), 60_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.includes('"meshpilot serving"')) return;
        clearTimeout(timer);
        done((JSON.parse(line) as { admin: string }).admin);
      });
      child.on('exit', (code) => fail(new Error(`serve exited ${code} before serving`)));
    });
    for (let attempt = 0; attempt < 600; attempt++) {
      const ready = await fetch(`http://${admin}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      await sleep(10);
    }
    const ms = nowMs() - started;
    const rss = child.pid === undefined ? undefined : await rssBytes(child.pid);
    return { ms, rssKiB: Math.round((rss ?? Number.NaN) / 1024) };
  } finally {
    await stopChild(child);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { runs: { type: 'string', default: '5' }, label: { type: 'string', default: '' } },
    allowPositionals: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be 1..50, got ${values.runs}`);
  const command = positionals.length > 0 ? positionals : [process.execPath, MESHPILOT_BIN];
  const dir = await mkdtemp(join(tmpdir(), 'meshpilot-startup-'));
  try {
    const config = await seedConfigOnEphemeralPorts(dir);
    const cases: [string, () => Promise<Sample>][] = [
      ['--help', () => timedRun([...command, '--help'])],
      ['validate', () => timedRun([...command, 'validate', '--config', SEED])],
      ['serve → /readyz 200', () => timedServe(command, config)],
    ];
    const version = await new Promise<string>((done) => {
      const child = spawn(command[0] ?? 'node', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', () => done(out.trim()));
    });
    process.stdout.write(
      `| Command | ${values.label} | Node.js | median ms | median RSS MiB |\n|---|---|---|---:|---:|\n`,
    );
    for (const [name, once] of cases) {
      const samples: Sample[] = [];
      for (let i = 0; i < runs; i++) samples.push(await once());
      const ms = median(samples.map((s) => s.ms));
      const rss = median(samples.map((s) => s.rssKiB)) / 1024;
      process.stdout.write(`| ${name} | ${values.label} | ${version} | ${ms.toFixed(0)} | ${rss.toFixed(1)} |\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
