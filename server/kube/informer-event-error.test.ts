import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResilientInformer } from './informer.ts';
import type { InformedResource } from './resource.ts';
import { startWatchTestServer, type WatchTestServer } from './watch-test-support.ts';

const TOKEN = 'secret-token-never-logged';

/** One watch event line as kube-apiserver streams it. */
function eventLine(type: string, name: string, resourceVersion: string): string {
  return `${JSON.stringify({ type, object: { metadata: { name, resourceVersion } } })}\n`;
}

describe('ResilientInformer: a watch event whose handling throws', () => {
  // Every watch gets one ADDED event and stays open.
  let api: WatchTestServer;
  let kubeConfig: KubeConfig;
  beforeAll(async () => {
    api = await startWatchTestServer(TOKEN, (response) => response.write(eventLine('ADDED', 'bad', '2')));
    ({ kubeConfig } = api);
  });
  afterAll(() => api.close());

  const waitFor = async (check: () => boolean, what: string): Promise<void> => {
    for (let i = 0; i < 500 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    if (!check()) throw new Error(`timed out waiting for ${what}`);
  };

  function informerFor(throwOnUpsert: () => boolean) {
    const seen = { lists: 0, upserts: [] as string[], eventErrors: [] as string[], failures: [] as string[] };
    const resource: InformedResource<unknown> = {
      resource: 'things',
      path: '/api/v1/things',
      listPage: () => {
        seen.lists += 1;
        return Promise.resolve({ items: [], resourceVersion: '1' });
      },
      key: (object) => (object as { metadata?: { name?: string } }).metadata?.name ?? '',
      reduce: (object) => object,
    };
    const informer = new ResilientInformer({
      kubeConfig,
      resource,
      secrets: [TOKEN],
      backoff: { initialMs: 20, maxMs: 1_000, resetAfterMs: 600_000, jitter: 0 },
      handlers: {
        onListing: () => {},
        onUpsert: (key) => {
          if (throwOnUpsert()) throw new Error(`store rejected ${key} (${TOKEN})`);
          seen.upserts.push(key);
        },
        onDelete: () => {},
        onSynced: () => {},
        onFailure: (reason) => seen.failures.push(reason),
        onEventError: (reason) => seen.eventErrors.push(reason),
      },
    });
    return { informer, seen };
  }

  it('is reported with its reason (token masked) and repaired by a fresh list, without marking the kind failed', async () => {
    let throwing = true;
    const { informer, seen } = informerFor(() => throwing);
    try {
      await informer.start();
      await waitFor(() => seen.eventErrors.length === 1, 'the event error');
      expect(seen.eventErrors[0]).toContain('watch things: an event could not be handled');
      expect(seen.eventErrors[0]).toContain('store rejected bad');
      expect(seen.eventErrors[0]).not.toContain(TOKEN);
      throwing = false;
      // The lost event comes back through a new list and watch (here: the watch replays it).
      await waitFor(() => seen.lists >= 2 && seen.upserts.includes('bad'), 'a fresh list and the event again');
      expect(seen.failures).toEqual([]);
      expect(informer.state).toBe('synced');
    } finally {
      await informer.stop();
    }
  });

  it('an event handled without error lists once and reports nothing', async () => {
    const { informer, seen } = informerFor(() => false);
    try {
      await informer.start();
      await waitFor(() => seen.upserts.includes('bad'), 'the event');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.lists).toBe(1);
      expect(seen.eventErrors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});
