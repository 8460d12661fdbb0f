/**
 * One clock for every bench process: CLOCK_MONOTONIC (process.hrtime) is shared by all processes
 * of the machine, so a change written by the orchestrator and an ACK sent by a client worker can
 * be subtracted directly. Milliseconds, fractional.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes; resolves whether it did. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  const maxPolls = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let poll = 0; poll < maxPolls; poll += 1) {
    if (await check()) return true;
    if (nowMs() >= deadline) return false;
    await sleep(intervalMs);
  }
  return check();
}

/** Percentile (nearest rank) of unsorted samples; undefined for none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
