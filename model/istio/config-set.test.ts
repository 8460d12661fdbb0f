import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../build-snapshot.ts';
import { shareUnchanged, FULL_DELTA, isEmptyDelta } from '../snapshot-delta.ts';
import { buildIstioConfigSet, EMPTY_ISTIO_CONFIG, allConfigs, configCount } from './config-set.ts';
import type { AnyIstioConfig, IstioConfig } from './types.ts';

function rule(
  namespace: string,
  name: string,
  host = 'reviews',
  resourceVersion = '1',
): IstioConfig<'DestinationRule'> {
  return {
    kind: 'DestinationRule',
    meta: { namespace, name, resourceVersion, labels: {}, annotations: {}, origin: { type: 'kube', kubeCluster: 'c' } },
    spec: { host },
  };
}

function policy(namespace: string, name: string): AnyIstioConfig {
  return {
    kind: 'AuthorizationPolicy',
    meta: {
      namespace,
      name,
      resourceVersion: '1',
      labels: {},
      annotations: {},
      origin: { type: 'file', path: '/p.yaml' },
    },
    spec: { action: 'ALLOW' },
  };
}

const snapshotWith = (istioConfig = EMPTY_ISTIO_CONFIG) =>
  buildSnapshot({
    domainSuffix: 'cluster.local',
    trustDomain: 'cluster.local',
    kubeClusters: [],
    meshNetworks: { networks: {} },
    istioConfig,
  });

describe('IstioConfigSet', () => {
  it('groups objects per kind, sorted by namespace then name in code-point order', () => {
    const set = buildIstioConfigSet([rule('b', 'x'), policy('a', 'p'), rule('a', 'z'), rule('a', 'Y'), rule('a', 'y')]);
    expect(set.destinationRules.map((r) => `${r.meta.namespace}/${r.meta.name}`)).toEqual(['a/Y', 'a/y', 'a/z', 'b/x']);
    expect(set.authorizationPolicies.map((p) => p.meta.name)).toEqual(['p']);
    expect(set.virtualServices).toEqual([]);
    expect(set.rootNamespace).toBe('istio-system');
    expect(configCount(set)).toBe(5);
    expect(allConfigs(set).map((c) => c.kind)).toEqual([
      'DestinationRule',
      'DestinationRule',
      'DestinationRule',
      'DestinationRule',
      'AuthorizationPolicy',
    ]);
  });

  it('is empty in snapshots built without config', () => {
    expect(snapshotWith().istioConfig).toBe(EMPTY_ISTIO_CONFIG);
  });
});

describe('snapshot delta for Istio config', () => {
  it('reports a config change and keeps the previous set when equal', () => {
    const first = shareUnchanged(undefined, snapshotWith(buildIstioConfigSet([rule('a', 'r')])));
    expect(first.delta.config).toBe(true);
    expect(FULL_DELTA.config).toBe(true);

    const same = shareUnchanged(first.snapshot, snapshotWith(buildIstioConfigSet([rule('a', 'r')])));
    expect(same.delta.config).toBe(false);
    expect(same.snapshot.istioConfig).toBe(first.snapshot.istioConfig);
    expect(isEmptyDelta(same.delta)).toBe(true);

    const changed = shareUnchanged(first.snapshot, snapshotWith(buildIstioConfigSet([rule('a', 'r', 'ratings', '2')])));
    expect(changed.delta).toMatchObject({ config: true, full: false, gateways: false });
    expect(changed.delta.services.size + changed.delta.endpoints.size).toBe(0);
    expect(isEmptyDelta(changed.delta)).toBe(false);
    expect(changed.snapshot.istioConfig.destinationRules[0]?.spec.host).toBe('ratings');

    const removed = shareUnchanged(changed.snapshot, snapshotWith());
    expect(removed.delta.config).toBe(true);
    expect(removed.snapshot.istioConfig.destinationRules).toEqual([]);
  });
});
