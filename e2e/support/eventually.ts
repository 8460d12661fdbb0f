import { errorMessage } from '../../common/error-message.ts';

/** The one polling helper of the tests: waits for a condition or a result, bounded in time and attempts. */

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `intervalMs` until it returns true; throws naming `what` once `timeoutMs` has passed. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let i = 0; i < maxAttempts; i += 1) {
    if (await check()) return;
    if (Date.now() > deadline) break;
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
}

/**
 * Retries `attempt` until it resolves (every `intervalMs`, not past `timeoutMs`), for results that depend on
 * config still propagating; the last error is reported.
 */
export async function eventuallyResolves<T>(
  attempt: () => Promise<T>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  let lastError: unknown;
  for (let i = 0; i < maxAttempts; i += 1) {
    try {
      return await attempt();
    } catch (error: unknown) {
      lastError = error;
    }
    if (Date.now() > deadline) break;
    await sleep(intervalMs);
  }
  throw new Error(`${what}: still failing after ${timeoutMs} ms: ${errorMessage(lastError)}`);
}
