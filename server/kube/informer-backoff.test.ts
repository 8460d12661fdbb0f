import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResilientInformer } from './informer.ts';
import type { InformedResource } from './resource.ts';
import { startWatchTestServer, type WatchTestServer } from './watch-test-support.ts';

const INITIAL_MS = 50;

describe('ResilientInformer backoff', () => {
  let api: WatchTestServer;
  let kubeConfig: KubeConfig;
  let watches: WatchTestServer['watches'];

  beforeAll(async () => {
    api = await startWatchTestServer('test-token');
    ({ kubeConfig, watches } = api);
  });
  afterAll(() => api.close());

  it('starts again from the first delay after a successful list', async () => {
    let failing = true;
    const failures: number[] = [];
    let synced = 0;
    const resource: InformedResource<unknown> = {
      resource: 'things',
      path: '/api/v1/things',
      listPage: () =>
        failing ? Promise.reject(new Error('API server down')) : Promise.resolve({ items: [], resourceVersion: '1' }),
      key: () => '',
      reduce: (object) => object,
    };
    const informer = new ResilientInformer({
      kubeConfig,
      resource,
      backoff: { initialMs: INITIAL_MS, maxMs: 60_000, resetAfterMs: 600_000, jitter: 0 },
      handlers: {
        onListing: () => {},
        onUpsert: () => {},
        onDelete: () => {},
        onSynced: () => (synced += 1),
        onFailure: () => failures.push(performance.now()),
      },
    });
    const waitFor = async (check: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 500 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      if (!check()) throw new Error(`timed out waiting for ${what}`);
    };
    try {
      await informer.start();
      // Five failed lists: the delay has doubled to 16 × INITIAL_MS (800 ms) by now.
      await waitFor(() => failures.length >= 5, 'five failed lists');
      failing = false;
      await waitFor(() => synced === 1 && watches.size === 1, 'the list to succeed and the watch to open');
      // The API server goes away again: the broken watch is retried with a list, which fails.
      failing = true;
      const brokenAt = performance.now();
      for (const watch of watches) watch.destroy();
      const before = failures.length;
      await waitFor(() => failures.length > before, 'the next failed list');
      const retriedAfterMs = (failures[before] ?? 0) - brokenAt;
      // Reset: the first delay (50 ms) plus scheduling; without it, 32 × 50 ms = 1,600 ms.
      expect(retriedAfterMs).toBeLessThan(16 * INITIAL_MS);
    } finally {
      await informer.stop();
    }
  });
});
