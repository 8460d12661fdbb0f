import { describe, expect, it } from 'vitest';
import { PushWaiters } from './push-waiters.ts';

describe('PushWaiters', () => {
  it("resolves with the server's count for the request's id", async () => {
    const waiters = new PushWaiters();
    const sent: number[] = [];
    const pending = waiters.request((id) => sent.push(id));
    waiters.settle(sent[0]!, 42);
    await expect(pending).resolves.toBe(42);
  });

  it('resolves -1 at once when the request cannot be sent (the server is gone), instead of throwing', async () => {
    const waiters = new PushWaiters();
    const pending = waiters.request(() => {
      throw new Error('channel closed');
    });
    await expect(pending).resolves.toBe(-1);
  });
});
