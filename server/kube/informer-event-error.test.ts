import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResilientInformer } from './informer.ts';
import type { InformedResource } from './resource.ts';

const TOKEN = 'secret-token-never-logged';

/** One watch event line as kube-apiserver streams it. */
function eventLine(type: string, name: string, resourceVersion: string): string {
  return `${JSON.stringify({ type, object: { metadata: { name, resourceVersion } } })}\n`;
}

describe('ResilientInformer: a watch event whose handling throws', () => {
  const watches = new Set<ServerResponse>();
  // Every request here is a watch (lists go through listPage): it sends one ADDED event and stays open.
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write(eventLine('ADDED', 'bad', '2'));
    watches.add(response);
    response.on('close', () => watches.delete(response));
  });
  let kubeConfig: KubeConfig;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [
        { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
      ],
      users: [{ name: 'u', token: TOKEN }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
  });
  afterAll(async () => {
    for (const watch of watches) watch.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

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
