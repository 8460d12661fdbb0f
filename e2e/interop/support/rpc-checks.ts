import type { RpcsResult } from './client-process.ts';

/** True when every RPC succeeded and all were served by `peer`. */
export function onlyPeer(result: RpcsResult, peer: string): boolean {
  return result.failures === 0 && Object.keys(result.byPeer).join(',') === peer;
}

/** Throws with the client's own error messages when any RPC failed. */
export function expectNoFailures(result: RpcsResult, what: string): void {
  if (result.failures > 0)
    throw new Error(`${what}: ${result.failures} RPCs failed (first errors: ${result.errors.join('; ')})`);
}

/** The share of RPCs (percent) served by `peer`. */
export function share(result: RpcsResult, peer: string): number {
  const total = Object.values(result.byPeer).reduce((sum, n) => sum + n, 0) + result.failures;
  return total === 0 ? 0 : (100 * (result.byPeer[peer] ?? 0)) / total;
}
