import type { TrackedEntry } from './ads-stream.ts';

/**
 * When did a stream converge on a change written at `writtenAt`? The content it held before the
 * change is the last one ACKed before `writtenAt`; the answer is the first later ACK of different
 * content. Matching on content (not on "the next response") keeps a server that resends
 * unchanged resources, or a late response for an older change, from counting as convergence.
 * Returns the latency in ms, or undefined when the stream never got new content.
 */
export function convergenceLatency(
  history: readonly TrackedEntry[] | undefined,
  writtenAt: number,
): number | undefined {
  if (!history) return undefined;
  let before: string | undefined;
  for (const entry of history) {
    if (entry.ackAt < writtenAt) {
      before = entry.fingerprint;
      continue;
    }
    if (entry.fingerprint !== before) return entry.ackAt - writtenAt;
  }
  return undefined;
}
