/**
 * What one manifest edit costs the file registry alone, in process: one kube cluster's folder of the
 * bench's generated mesh (one file per service), a FileRegistry on it, then `--changes` endpoint
 * changes written one at a time as the bench writes them (temp dot-file + rename), each timed from the
 * write to the registry's change event (so the 30 ms settle is included), with the process's CPU time.
 * `--checkout NAME=DIR` (repeatable) loads the FileRegistry of another checkout; rounds alternate them.
 * Run: node --import tsx bench/file-registry-change.ts [--services N] [--changes K] [--rounds R]
 *      [--checkout before=../base --checkout after=.] [--out FILE]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { nowMs, percentile } from './clock.ts';
import { GeneratedMesh } from './generate-mesh.ts';

interface RegistryLike {
  start(listener: (changes: readonly unknown[]) => void): Promise<void>;
  stop(): Promise<void>;
}
type RegistryClass = new (options: {
  name: string;
  dir: string;
  logger: pino.Logger;
  resyncMs: number;
}) => RegistryLike;

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '2' },
    checkout: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: join(tmpdir(), 'meshpilot-file-registry-change.json') },
  },
  strict: true,
});
const services = Number(values.services);
const changes = Number(values.changes);
if (!Number.isInteger(services) || services < 1 || services > 10_000 || !Number.isInteger(changes) || changes < 1)
  throw new Error('MESHPILOT_BENCH_ERR_ARGS: --services must be 1..10000 and --changes a positive integer');
const checkouts = (values.checkout.length > 0 ? values.checkout : ['this=.']).map((spec) => {
  const at = spec.indexOf('=');
  if (at < 1) throw new Error(`MESHPILOT_BENCH_ERR_ARGS: --checkout takes NAME=DIR, got "${spec}"`);
  return { name: spec.slice(0, at), dir: resolve(spec.slice(at + 1)) };
});

async function measure(Registry: RegistryClass): Promise<Record<string, number>> {
  const root = await mkdtemp(join(tmpdir(), 'meshpilot-file-registry-change-'));
  try {
    const mesh = await GeneratedMesh.write(
      root,
      { services, kubeClusters: 1, endpointsPerKubeCluster: 10 },
      { debounce: { quietMs: 100, maxMs: 1_000 }, logLevel: 'info' },
    );
    let next: ((count: number) => void) | undefined;
    const registry = new Registry({
      name: 'kc-1',
      dir: mesh.kubeClusters[0]!.dir,
      logger: pino({ level: 'silent' }),
      resyncMs: 0,
    });
    const startedAt = nowMs();
    await registry.start((batch) => next?.(batch.length));
    const startMs = nowMs() - startedAt;
    const wall: number[] = [];
    let objects = 0;
    const cpu = process.cpuUsage();
    for (let i = 0; i < changes; i += 1) {
      const emitted = new Promise<number>((resolveCount) => (next = resolveCount));
      const writtenAt = nowMs();
      await mesh.toggleEndpoint(0, i % services);
      objects += await Promise.race([
        emitted,
        new Promise<number>((_, reject) =>
          setTimeout(() => reject(new Error('MESHPILOT_BENCH_ERR_TIMEOUT: no change event within 30 s')), 30_000),
        ),
      ]);
      wall.push(nowMs() - writtenAt);
    }
    const used = process.cpuUsage(cpu);
    await registry.stop();
    return {
      startMs: Math.round(startMs),
      wallP50Ms: Math.round((percentile(wall, 50) ?? 0) * 10) / 10,
      wallP90Ms: Math.round((percentile(wall, 90) ?? 0) * 10) / 10,
      cpuMsPerChange: Math.round(((used.user + used.system) / 1_000 / changes) * 100) / 100,
      objectsPerChange: objects / changes,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const runs: Record<string, unknown>[] = [];
for (let round = 1; round <= Number(values.rounds); round += 1)
  for (const checkout of checkouts) {
    const module = (await import(join(checkout.dir, 'server/registry/file-registry.ts'))) as {
      FileRegistry: RegistryClass;
    };
    const load1 = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    const result = {
      checkout: checkout.name,
      round,
      services,
      changes,
      load1,
      ...(await measure(module.FileRegistry)),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    runs.push(result);
  }
await writeFile(values.out, `${JSON.stringify({ date: new Date().toISOString(), runs }, null, 2)}\n`);
