import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './index.ts';
import { openWatch, simRequest } from './test-support.ts';
import { isJsonObject, type JsonObject, type JsonValue } from './types.ts';

function obj(value: JsonValue | undefined): JsonObject {
  if (!isJsonObject(value)) throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return value;
}

function items(value: JsonValue): JsonObject[] {
  const list = obj(value)['items'];
  return Array.isArray(list) ? list.map(obj) : [];
}

function names(value: JsonValue): string[] {
  return items(value).map((item) => String(obj(item['metadata'] ?? {})['name']));
}

function service(namespace: string, name: string, labels: Record<string, string> = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { ports: [{ name: 'http', port: 80 }] },
  };
}

describe('kube-sim over raw HTTPS', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim({ bookmarkIntervalMs: 50, historyLimit: 20, clusterName: 'raw' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('answers 401 without or with an unknown token, and 403 for tokens without the right', async () => {
    const missing = await simRequest(sim, { path: '/api/v1/services' });
    expect(missing.status).toBe(401);
    expect(obj(missing.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await simRequest(sim, { path: '/api/v1/services', token: 'nope' })).status).toBe(401);

    const noRights = await simRequest(sim, { path: '/api/v1/namespaces/default/services', token: sim.noRightsToken });
    expect(noRights.status).toBe(403);
    expect(obj(noRights.body)).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(String(obj(noRights.body)['message'])).toContain('cannot list resource "services"');

    expect((await simRequest(sim, { path: '/api/v1/services', token: sim.readOnlyToken })).status).toBe(200);
    const write = await simRequest(sim, {
      method: 'POST',
      path: '/api/v1/namespaces/default/services',
      token: sim.readOnlyToken,
      body: service('default', 'ro'),
    });
    expect(write.status).toBe(403);
    expect(obj(write.body)['reason']).toBe('Forbidden');
    expect(
      (await simRequest(sim, { method: 'POST', path: '/_sim/faults/compact', token: sim.readOnlyToken })).status,
    ).toBe(403);
  });

  it('serves discovery documents', async () => {
    const core = await simRequest(sim, { path: '/api/v1', token: sim.readOnlyToken });
    const resources = (obj(core.body)['resources'] as JsonObject[]).map((r) => r['name']);
    expect(resources).toEqual(expect.arrayContaining(['services', 'pods', 'nodes', 'secrets', 'namespaces']));
    const groups = await simRequest(sim, { path: '/apis', token: sim.readOnlyToken });
    expect((obj(groups.body)['groups'] as JsonObject[]).map((g) => g['name'])).toEqual(
      expect.arrayContaining([
        'discovery.k8s.io',
        'networking.istio.io',
        'security.istio.io',
        'telemetry.istio.io',
        'authentication.k8s.io',
      ]),
    );
    const istio = await simRequest(sim, { path: '/apis/networking.istio.io/v1', token: sim.readOnlyToken });
    expect((obj(istio.body)['resources'] as JsonObject[]).map((r) => r['kind']).sort()).toEqual([
      'DestinationRule',
      'Gateway',
      'ServiceEntry',
      'Sidecar',
      'VirtualService',
      'WorkloadEntry',
      'WorkloadGroup',
    ]);
    expect(obj((await simRequest(sim, { path: '/version', token: sim.readOnlyToken })).body)['major']).toBe('1');
    expect((await simRequest(sim, { path: '/apis/nope.example/v1', token: sim.adminToken })).status).toBe(404);
  });

  it('creates, conflicts on duplicates and stale resourceVersions, patches and deletes', async () => {
    // As on a real API server, an object is created only in a namespace that exists.
    const missing = await simRequest(sim, {
      method: 'POST',
      path: '/api/v1/namespaces/crud/services',
      token: sim.adminToken,
      body: service('crud', 'a'),
    });
    expect(missing.status).toBe(404);
    expect(obj(missing.body)['message']).toBe('namespaces "crud" not found');
    const namespace = await simRequest(sim, {
      method: 'POST',
      path: '/api/v1/namespaces',
      token: sim.adminToken,
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crud' } },
    });
    expect(namespace.status).toBe(201);
    const created = await simRequest(sim, {
      method: 'POST',
      path: '/api/v1/namespaces/crud/services',
      token: sim.adminToken,
      body: service('crud', 'a'),
    });
    expect(created.status).toBe(201);
    const meta = obj(obj(created.body)['metadata']);
    expect(meta['uid']).toEqual(expect.any(String));
    expect(meta['generation']).toBe(1);
    expect(obj(obj(created.body)['spec'])['clusterIP']).toMatch(/^10\.96\./);

    const duplicate = await simRequest(sim, {
      method: 'POST',
      path: '/api/v1/namespaces/crud/services',
      token: sim.adminToken,
      body: service('crud', 'a'),
    });
    expect(duplicate.status).toBe(409);
    expect(obj(duplicate.body)['reason']).toBe('AlreadyExists');

    const fresh = { ...obj(created.body), spec: { ports: [{ name: 'http', port: 81 }] } };
    const updated = await simRequest(sim, {
      method: 'PUT',
      path: '/api/v1/namespaces/crud/services/a',
      token: sim.adminToken,
      body: fresh,
    });
    expect(updated.status).toBe(200);
    expect(Number(obj(obj(updated.body)['metadata'])['resourceVersion'])).toBeGreaterThan(
      Number(meta['resourceVersion']),
    );
    expect(obj(obj(updated.body)['metadata'])['generation']).toBe(2);

    const stale = await simRequest(sim, {
      method: 'PUT',
      path: '/api/v1/namespaces/crud/services/a',
      token: sim.adminToken,
      body: fresh,
    });
    expect(stale.status).toBe(409);
    expect(obj(stale.body)['reason']).toBe('Conflict');

    const patched = await simRequest(sim, {
      method: 'PATCH',
      path: '/api/v1/namespaces/crud/services/a',
      token: sim.adminToken,
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { patched: 'yes' } } },
    });
    expect(patched.status).toBe(200);
    expect(obj(obj(obj(patched.body)['metadata'])['labels'])['patched']).toBe('yes');

    const stalePatch = await simRequest(sim, {
      method: 'PATCH',
      path: '/api/v1/namespaces/crud/services/a',
      token: sim.adminToken,
      contentType: 'application/strategic-merge-patch+json',
      body: { metadata: { resourceVersion: String(meta['resourceVersion']), labels: { x: 'y' } } },
    });
    expect(stalePatch.status).toBe(409);

    const deleted = await simRequest(sim, {
      method: 'DELETE',
      path: '/api/v1/namespaces/crud/services/a',
      token: sim.adminToken,
    });
    expect(deleted.status).toBe(200);
    expect(obj(deleted.body)['status']).toBe('Success');
    const gone = await simRequest(sim, {
      method: 'DELETE',
      path: '/api/v1/namespaces/crud/services/a',
      token: sim.adminToken,
    });
    expect(gone.status).toBe(404);
    expect(obj(gone.body)['reason']).toBe('NotFound');
    expect((await simRequest(sim, { path: '/api/v1/namespaces/crud', token: sim.adminToken })).status).toBe(200);
  });

  it('paginates with limit and continue, and answers 410 for a continue token older than the history', async () => {
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) sim.apply(service('paging', name));
    const first = await simRequest(sim, {
      path: '/api/v1/namespaces/paging/services?limit=2',
      token: sim.readOnlyToken,
    });
    expect(names(first.body)).toEqual(['p1', 'p2']);
    const firstMeta = obj(obj(first.body)['metadata']);
    expect(firstMeta['remainingItemCount']).toBe(3);
    const collected = [...names(first.body)];
    let token = String(firstMeta['continue']);
    for (let page = 0; page < 5 && token; page += 1) {
      const next = await simRequest(sim, {
        path: `/api/v1/namespaces/paging/services?limit=2&continue=${encodeURIComponent(token)}`,
        token: sim.readOnlyToken,
      });
      const nextMeta = obj(obj(next.body)['metadata']);
      expect(nextMeta['resourceVersion']).toBe(firstMeta['resourceVersion']);
      collected.push(...names(next.body));
      token = typeof nextMeta['continue'] === 'string' ? nextMeta['continue'] : '';
    }
    expect(collected).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);

    sim.apply(service('paging', 'p6'));
    sim.faults.compact();
    const expired = await simRequest(sim, {
      path: `/api/v1/namespaces/paging/services?limit=2&continue=${encodeURIComponent(String(firstMeta['continue']))}`,
      token: sim.readOnlyToken,
    });
    expect(expired.status).toBe(410);
    expect(obj(expired.body)['reason']).toBe('Expired');
  });

  it('filters lists by label and field selectors', async () => {
    sim.apply(service('sel', 'web', { app: 'web', tier: 'front' }));
    sim.apply(service('sel', 'api', { app: 'api', tier: 'back' }));
    sim.apply(service('sel', 'db', { app: 'db' }));
    sim.apply(service('sel2', 'web', { app: 'web' }));
    const list = async (query: string): Promise<string[]> => {
      const response = await simRequest(sim, { path: `/api/v1/services?${query}`, token: sim.readOnlyToken });
      expect(response.status).toBe(200);
      return items(response.body)
        .map(
          (item) =>
            `${String(obj(item['metadata'] ?? {})['namespace'])}/${String(obj(item['metadata'] ?? {})['name'])}`,
        )
        .filter((n) => n.startsWith('sel'));
    };
    expect(await list('labelSelector=app%3Dweb')).toEqual(['sel/web', 'sel2/web']);
    expect(await list('labelSelector=app%3D%3Dapi')).toEqual(['sel/api']);
    expect(await list(`labelSelector=${encodeURIComponent('tier!=front,app')}`)).toEqual([
      'sel/api',
      'sel/db',
      'sel2/web',
    ]);
    expect(await list(`labelSelector=${encodeURIComponent('app in (api, db)')}`)).toEqual(['sel/api', 'sel/db']);
    expect(await list(`labelSelector=${encodeURIComponent('app notin (web),app')}`)).toEqual(['sel/api', 'sel/db']);
    expect(await list('labelSelector=tier')).toEqual(['sel/api', 'sel/web']);
    expect(await list(`labelSelector=${encodeURIComponent('!tier,app')}`)).toEqual(['sel/db', 'sel2/web']);
    expect(await list('fieldSelector=metadata.name%3Dweb')).toEqual(['sel/web', 'sel2/web']);
    expect(await list(`fieldSelector=${encodeURIComponent('metadata.namespace=sel2')}`)).toEqual(['sel2/web']);
    expect(await list(`fieldSelector=${encodeURIComponent('metadata.namespace!=sel,metadata.name=web')}`)).toEqual([
      'sel2/web',
    ]);
    const bad = await simRequest(sim, {
      path: '/api/v1/services?fieldSelector=spec.nope%3D1',
      token: sim.readOnlyToken,
    });
    expect(bad.status).toBe(400);
    expect(String(obj(bad.body)['message'])).toContain('spec.nope');
  });

  it('watches from a resourceVersion with selectors, bookmarks and timeoutSeconds', async () => {
    sim.apply(service('watch', 'before', { app: 'w' }));
    const start = sim.resourceVersion();
    sim.apply(service('watch', 'replayed', { app: 'w' }));
    sim.apply(service('watch', 'other', { app: 'x' }));
    const watch = await openWatch(
      sim,
      `/api/v1/namespaces/watch/services?watch=1&resourceVersion=${start}&allowWatchBookmarks=true&labelSelector=app%3Dw&timeoutSeconds=1`,
      sim.readOnlyToken,
    );
    expect(watch.status).toBe(200);
    await watch.waitFor((e) => e.type === 'ADDED' && obj(e.object['metadata'] ?? {})['name'] === 'replayed');
    sim.apply({ ...service('watch', 'replayed', { app: 'w' }), spec: { ports: [{ port: 99 }] } });
    sim.remove('v1', 'Service', 'watch', 'replayed');
    await watch.waitFor((e) => e.type === 'DELETED');
    const bookmark = await watch.waitFor((e) => e.type === 'BOOKMARK');
    expect(bookmark.object).toMatchObject({ kind: 'Service', apiVersion: 'v1' });
    expect(await watch.ended).toBe('ended');
    const changes = watch.events
      .filter((e) => e.type !== 'BOOKMARK')
      .map((e) => `${e.type} ${String(obj(e.object['metadata'] ?? {})['name'])}`);
    expect(changes).toEqual(['ADDED replayed', 'MODIFIED replayed', 'DELETED replayed']);
    const versions = watch.events.map((e) => Number(obj(e.object['metadata'] ?? {})['resourceVersion']));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
  });

  it('sends an ERROR event with a 410 Status for a resourceVersion older than the history, and when forced', async () => {
    const old = sim.resourceVersion();
    for (let i = 0; i < 25; i += 1)
      sim.apply({ ...service('churn', 'c'), metadata: { name: 'c', namespace: 'churn', labels: { n: String(i) } } });
    const tooOld = await openWatch(sim, `/api/v1/services?watch=true&resourceVersion=${old}`);
    expect(tooOld.status).toBe(200);
    expect(await tooOld.ended).toBe('ended');
    expect(tooOld.events).toHaveLength(1);
    expect(tooOld.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });

    const current = sim.resourceVersion();
    const forced = await simRequest(sim, {
      method: 'POST',
      path: '/_sim/faults/force-410?count=1',
      token: sim.adminToken,
    });
    expect(forced.status).toBe(200);
    const first = await openWatch(sim, `/api/v1/services?watch=true&resourceVersion=${current}`);
    expect(await first.ended).toBe('ended');
    expect(first.events[0]).toMatchObject({ type: 'ERROR', object: { code: 410 } });
    const second = await openWatch(sim, `/api/v1/services?watch=true&resourceVersion=${current}&timeoutSeconds=1`);
    expect(await second.ended).toBe('ended');
    expect(second.events.filter((e) => e.type === 'ERROR')).toHaveLength(0);
  });

  it('cuts open watches silently through the admin path', async () => {
    const watch = await openWatch(sim, `/api/v1/services?watch=true&resourceVersion=${sim.resourceVersion()}`);
    const cut = await simRequest(sim, { method: 'POST', path: '/_sim/faults/cut-watches', token: sim.adminToken });
    expect(obj(cut.body)['cut']).toBeGreaterThanOrEqual(1);
    expect(await watch.ended).toBe('dropped');
    expect(watch.events.filter((e) => e.type === 'ERROR')).toHaveLength(0);
  });

  it('answers TokenReview for registered service-account tokens, for their audiences only', async () => {
    sim.registerServiceAccountToken('sa-token-1', 'istio-system', 'istiod');
    const review = (token: string, audiences?: string[]) =>
      simRequest(sim, {
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/tokenreviews',
        token: sim.adminToken,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: audiences ? { token, audiences } : { token },
        },
      });
    const known = await review('sa-token-1', ['istio-ca', 'other']);
    expect(known.status).toBe(201);
    expect(obj(known.body)['status']).toEqual({
      authenticated: true,
      user: {
        username: 'system:serviceaccount:istio-system:istiod',
        uid: 'kube-sim-sa-istio-system-istiod',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:istio-system', 'system:authenticated'],
      },
      audiences: ['istio-ca'],
    });
    // No audience asked = the API server's own, which an istio-ca token is not for (as on a real API server).
    expect(obj(obj((await review('sa-token-1')).body)['status'])).toMatchObject({
      authenticated: false,
      error: expect.stringMatching(/token audiences \["istio-ca"\] is invalid for the target audiences/),
    });
    const unknown = await review('who-knows', ['istio-ca']);
    expect(obj(obj(unknown.body)['status'])['authenticated']).toBe(false);
    const readOnly = await simRequest(sim, {
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/tokenreviews',
      token: sim.readOnlyToken,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'sa-token-1' } },
    });
    expect(readOnly.status).toBe(403);
  });

  it('delays responses and stops/restarts on the same port', async () => {
    sim.faults.delay(200);
    const started = Date.now();
    const delayed = simRequest(sim, { path: '/version', token: sim.adminToken });
    let settled = false;
    void delayed.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    expect((await delayed).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    sim.faults.reset();

    await sim.faults.stop();
    await expect(simRequest(sim, { path: '/version', token: sim.adminToken })).rejects.toThrow();
    await sim.faults.restart();
    expect((await simRequest(sim, { path: '/version', token: sim.adminToken })).status).toBe(200);
  });
});
