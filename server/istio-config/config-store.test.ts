import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { IstioConfigSet, IstioKind } from '../../model/istio/types.ts';
import { IstioConfigMetrics } from './config-metrics.ts';
import type { ConfigSourceHealth, IstioConfigSource, RawConfigObject } from './config-source.ts';
import { IstioConfigStore } from './config-store.ts';
import { unsupportedObjectOf, type UnsupportedObject } from './unsupported-kinds.ts';

class FakeSource implements IstioConfigSource {
  readonly description: string;
  objects: RawConfigObject[] = [];
  skipped: UnsupportedObject[] = [];
  private notify: () => void = () => {};
  constructor(description: string) {
    this.description = description;
  }
  async start(onChange: () => void): Promise<void> {
    this.notify = onChange;
  }
  set(objects: RawConfigObject[]): void {
    this.objects = objects;
    this.notify();
  }
  current(): readonly RawConfigObject[] {
    return this.objects;
  }
  unsupported(): readonly UnsupportedObject[] {
    return this.skipped;
  }
  health(): ConfigSourceHealth {
    return { source: this.description, state: 'synced', objects: this.objects.length };
  }
  async stop(): Promise<void> {}
}

function raw(kind: IstioKind, name: string, spec: unknown, version = '1', cluster = 'config'): RawConfigObject {
  const group = kind === 'AuthorizationPolicy' ? 'security.istio.io' : 'networking.istio.io';
  return {
    kind,
    namespace: 'default',
    name,
    version,
    origin: { type: 'kube', kubeCluster: cluster },
    object: {
      apiVersion: `${group}/v1`,
      kind,
      metadata: { name, namespace: 'default', resourceVersion: version },
      spec,
    },
  };
}

const goodVs = (host: string) => ({ hosts: [host], http: [{ route: [{ destination: { host } }] }] });
const badVs = {
  hosts: ['bad'],
  http: [
    {
      route: [
        { destination: { host: 'a' }, weight: 30 },
        { destination: { host: 'b' }, weight: 30 },
      ],
    },
  ],
};

describe('IstioConfigStore', () => {
  const lines: { msg: string; code?: string }[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) },
  );
  let store: IstioConfigStore | undefined;
  afterEach(async () => {
    await store?.stop();
    lines.length = 0;
  });

  it('applies the valid objects, rejects an invalid one alone, logs and counts it once per version', async () => {
    const registry = new Registry();
    const source = new FakeSource('cluster config');
    const sets: IstioConfigSet[] = [];
    store = new IstioConfigStore({
      sources: [source],
      logger,
      metrics: new IstioConfigMetrics(registry),
      onChange: (set) => sets.push(set),
    });
    source.objects = [
      raw('VirtualService', 'good', goodVs('good')),
      raw('VirtualService', 'bad', badVs),
      raw('DestinationRule', 'dr', { host: 'good', subsets: [{ name: 'v1', labels: { v: '1' } }] }),
    ];
    await store.start();

    expect(sets).toHaveLength(1);
    expect(sets[0]?.virtualServices.map((v) => v.meta.name)).toEqual(['good']);
    expect(sets[0]?.destinationRules.map((v) => v.meta.name)).toEqual(['dr']);
    expect(store.rejects()).toEqual([
      expect.objectContaining({
        kind: 'VirtualService',
        name: 'bad',
        resourceVersion: '1',
        code: 'MESHPILOT_ERR_ISTIO_CONFIG_INVALID',
        errors: [
          'spec.http[0].route: the weights of the 2 destinations sum to 60, expected 100 (or omit every weight for an equal split)',
        ],
      }),
    ]);
    expect(lines.map((l) => l.msg)).toEqual([
      'Istio config rejected: VirtualService default/bad: spec.http[0].route: the weights of the 2 destinations sum to 60, expected 100 (or omit every weight for an equal split)',
    ]);

    // The same version again (a re-list, another object changing): neither logged nor counted again.
    source.objects = [...source.objects, raw('VirtualService', 'other', goodVs('other'))];
    store.recompute();
    expect(lines).toHaveLength(1);
    expect(sets.at(-1)?.virtualServices.map((v) => v.meta.name)).toEqual(['good', 'other']);
    // Unchanged objects keep their identity across sets.
    expect(sets.at(-1)?.virtualServices[0]).toBe(sets[0]?.virtualServices[0]);

    // A new version of the bad object is reported again; fixing it applies it and clears the reject.
    source.objects = source.objects.map((o) =>
      o.name === 'bad' ? raw('VirtualService', 'bad', { ...badVs, hosts: ['bad', 'bad'] }, '2') : o,
    );
    store.recompute();
    expect(lines).toHaveLength(2);
    const metrics = await registry.getMetricsAsJSON();
    const valueOf = (name: string) =>
      metrics.find((m) => m.name === name)?.values.find((v) => v.labels['kind'] === 'VirtualService')?.value;
    expect(valueOf('meshpilot_istio_config_rejections_total')).toBe(2);
    expect(valueOf('meshpilot_istio_config_rejected')).toBe(1);
    source.objects = source.objects.map((o) =>
      o.name === 'bad' ? raw('VirtualService', 'bad', goodVs('bad'), '3') : o,
    );
    store.recompute();
    expect(store.rejects()).toEqual([]);
    expect(sets.at(-1)?.virtualServices.map((v) => v.meta.name)).toEqual(['bad', 'good', 'other']);
    const after = await registry.getMetricsAsJSON();
    expect(
      after
        .find((m) => m.name === 'meshpilot_istio_config_rejected')
        ?.values.find((v) => v.labels['kind'] === 'VirtualService')?.value,
    ).toBe(0);
    expect(
      after
        .find((m) => m.name === 'meshpilot_istio_config_objects')
        ?.values.find((v) => v.labels['kind'] === 'VirtualService')?.value,
    ).toBe(3);
  });

  it("keeps the first source's copy of an object defined twice and lists the other as a duplicate", async () => {
    const first = new FakeSource('manifests /a');
    const second = new FakeSource('cluster b');
    first.objects = [raw('DestinationRule', 'dr', { host: 'one' }, '1', 'a')];
    second.objects = [raw('DestinationRule', 'dr', { host: 'two' }, '1', 'b')];
    const sets: IstioConfigSet[] = [];
    store = new IstioConfigStore({ sources: [first, second], logger, onChange: (set) => sets.push(set) });
    await store.start();
    expect(sets[0]?.destinationRules.map((d) => d.spec.host)).toEqual(['one']);
    expect(store.configz().rejected).toEqual([
      expect.objectContaining({
        code: 'MESHPILOT_ERR_ISTIO_CONFIG_DUPLICATE',
        origin: { type: 'kube', kubeCluster: 'b' },
        errors: [
          'DestinationRule default/dr is also defined by kube cluster a, which takes precedence; this copy is ignored',
        ],
      }),
    ]);
    expect(store.configz().accepted).toEqual([
      {
        kind: 'DestinationRule',
        namespace: 'default',
        name: 'dr',
        origin: { type: 'kube', kubeCluster: 'a' },
        resourceVersion: '1',
      },
    ]);
  });

  it('lists objects of kinds it does not translate as "not supported" on configz and logs each once', async () => {
    const source = new FakeSource('manifests /istio');
    store = new IstioConfigStore({ sources: [source], logger, onChange: () => {} });
    const filter = unsupportedObjectOf(
      {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'EnvoyFilter',
        metadata: { name: 'lua', namespace: 'istio-system' },
      },
      { type: 'file', path: '/istio/filters.yaml' },
    );
    expect(filter).toBeDefined();
    if (filter === undefined) return;
    source.skipped = [filter];
    source.objects = [raw('VirtualService', 'reviews', goodVs('reviews'))];
    await store.start();
    expect(store.configz().unsupported).toEqual([
      expect.objectContaining({
        kind: 'EnvoyFilter',
        namespace: 'istio-system',
        name: 'lua',
        reason: expect.stringMatching(/^not supported: EnvoyFilter/),
      }),
    ]);
    expect(store.configz().accepted.map((c) => c.name)).toEqual(['reviews']);
    store.recompute();
    source.set([...source.objects]);
    await new Promise((resolve) => setImmediate(resolve));
    const logged = lines.filter((l) => l.code === 'MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED');
    expect(logged.map((l) => l.msg)).toEqual([
      'Istio config not supported, ignored: EnvoyFilter istio-system/lua (/istio/filters.yaml): not supported: EnvoyFilter (networking.istio.io) patches the generated Envoy config in Istio; meshpilot does not translate it and ignores it [MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED]',
    ]);
    source.skipped = [];
    store.recompute();
    expect(store.configz().unsupported).toEqual([]);
  });

  it('accepts an AuthorizationPolicy with untranslatable parts, lists and logs (once) what cannot be enforced', async () => {
    const source = new FakeSource('cluster config');
    store = new IstioConfigStore({ sources: [source], logger, onChange: () => {} });
    const jwtOnly = { action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: ['issuer/subject'] } }] }] };
    source.objects = [raw('AuthorizationPolicy', 'jwt', jwtOnly)];
    await store.start();
    const accepted = store.configz().accepted.find((c) => c.name === 'jwt');
    expect(accepted?.warnings?.length).toBeGreaterThan(0);
    expect(accepted?.warnings?.join(' ')).toMatch(/MESHPILOT_ERR_AUTHZ_UNSUPPORTED/);
    store.recompute();
    expect(
      lines.filter((l) => l.msg.startsWith('Istio config accepted with parts that cannot be translated')),
    ).toHaveLength(1);
  });

  it('coalesces a burst of source notifications into one new set, and emits nothing when nothing changed', async () => {
    const source = new FakeSource('cluster c');
    const sets: IstioConfigSet[] = [];
    store = new IstioConfigStore({ sources: [source], logger, onChange: (set) => sets.push(set) });
    await store.start();
    expect(sets).toHaveLength(0);
    for (let i = 0; i < 50; i += 1)
      source.set([...source.objects, raw('DestinationRule', `dr-${String(i).padStart(2, '0')}`, { host: 'h' })]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sets).toHaveLength(1);
    expect(sets[0]?.destinationRules).toHaveLength(50);
    source.set([...source.objects]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sets).toHaveLength(1);
  });
});
