import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elapsedLog, type BenchContext } from './scenarios/context.ts';

/** One build a profile script runs: `--bin NAME=PATH` (or `NAME=PATH:N`, `serve --processes N`, where allowed). */
export interface BinRun {
  readonly name: string;
  readonly path: string | undefined;
  readonly processes: number;
}

/** The `--bin` flags of a profile script, or one run named `fallbackName` of this checkout when there are none. */
export function binRuns(specs: readonly string[], fallbackName: string, allowProcesses: boolean): BinRun[] {
  const form = allowProcesses ? 'NAME=PATH[:PROCESSES]' : 'NAME=PATH';
  const pattern = allowProcesses ? /^([^=]+)=(.+?)(?::(\d+))?$/ : /^([^=]+)=(.+)$/;
  const runs = specs.map((spec) => {
    const match = pattern.exec(spec);
    if (!match) throw new Error(`MESHPILOT_BENCH_ERR_ARGS: --bin takes ${form}, got "${spec}"`);
    return { name: match[1]!, path: match[2], processes: match[3] === undefined ? 1 : Number(match[3]) };
  });
  return runs.length > 0 ? runs : [{ name: fallbackName, path: undefined, processes: 1 }];
}

/** A profile script's output folder (created), scratch folder and bench context with a progress log. */
export async function profileContext(
  out: string,
  workDirPrefix: string,
  streamsPerWorker: number,
): Promise<BenchContext> {
  await mkdir(out, { recursive: true });
  const workDir = await mkdtemp(join(tmpdir(), workDirPrefix));
  return { quick: true, workDir, streamsPerWorker, log: elapsedLog() };
}
