import { totalmem } from 'node:os';
import { errorMessage } from '../../common/error-message.ts';
import { nowMs } from '../clock.ts';
import { rssBytes } from '../proc-stats.ts';

/** What every scenario is given: its scale, a scratch folder and a progress logger. */
export interface BenchContext {
  readonly quick: boolean;
  readonly workDir: string;
  readonly log: (message: string) => void;
  /** Load-client streams per worker process. */
  readonly streamsPerWorker: number;
}

/** A progress logger to stdout, each line stamped with the seconds since `started`. */
export function elapsedLog(started: number = nowMs()): (message: string) => void {
  return (message) => process.stdout.write(`[${((nowMs() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

export class TimeoutError extends Error {
  readonly code = 'MESHPILOT_BENCH_ERR_TIMEOUT';
}

export class MemoryGuardError extends Error {
  readonly code = 'MESHPILOT_BENCH_ERR_MEMORY_GUARD';
}

/** Cleanups run in reverse order, each at most once, errors swallowed (they are teardown). */
export class Cleanup {
  private readonly steps: (() => Promise<void> | void)[] = [];

  defer(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step();
      } catch {
        // teardown of something that may already be gone
      }
    }
  }
}

/** Runs `work` with its own cleanups; on timeout the cleanups run (killing what it started) and TimeoutError is thrown. */
export async function withTimeout<T>(
  label: string,
  timeoutMs: number,
  work: (cleanup: Cleanup) => Promise<T>,
): Promise<T> {
  const cleanup = new Cleanup();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`${label}: timeout after ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
  });
  const running = work(cleanup);
  running.catch(() => undefined);
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
    await cleanup.run();
  }
}

/** How a suite that threw ended: 'timeout' when withTimeout's time ran out, else 'error'; and why. */
export function failureOf(error: unknown): { status: 'timeout' | 'error'; message: string } {
  const timedOut = error instanceof Error && 'code' in error && error.code === 'MESHPILOT_BENCH_ERR_TIMEOUT';
  return { status: timedOut ? 'timeout' : 'error', message: errorMessage(error) };
}

/** Refuses to go on once the bench's processes use more than `fraction` of the machine's memory. */
export async function checkMemory(pids: readonly number[], fraction = 0.75): Promise<void> {
  const used = (await Promise.all(pids.map(rssBytes))).reduce<number>((sum, rss) => sum + (rss ?? 0), 0);
  const limit = totalmem() * fraction;
  if (used > limit) {
    throw new MemoryGuardError(
      `bench processes use ${(used / 2 ** 30).toFixed(1)} GiB, over ${Math.round(fraction * 100)}% of this machine's memory: stopped`,
    );
  }
}
