import { describe, expect, it } from 'vitest';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import type { EncodedResource } from './encoded-resource.ts';
import { applyKnownSubscription, updateSubscription } from './sotw-connection.ts';
import { SharedSets } from './shared-sets.ts';
import { SentResources, TypeState } from './type-state.ts';

const resource = (name: string, version = '1'): EncodedResource => ({
  name,
  typeUrl: ENDPOINT_TYPE,
  version,
  anyBytes: new Uint8Array(),
  valueBytes: new Uint8Array(),
});
const shared = new Map(['a', 'b', 'c'].map((name) => [name, resource(name)]));

describe('TypeState', () => {
  it('selects the shared map itself when the subscription covers it, a subset otherwise', () => {
    const eds = new TypeState(ENDPOINT_TYPE);
    updateSubscription(eds, ['a', 'b', 'c', 'later'], true);
    expect(eds.select(shared)).toBe(shared);
    updateSubscription(eds, ['a'], false);
    expect([...eds.select(shared).keys()]).toEqual(['a']);
    const cds = new TypeState(CLUSTER_TYPE);
    updateSubscription(cds, [], true);
    expect(cds.select(shared)).toBe(shared);
  });

  it('tells an ACK repeating the subscription (in any order, with duplicates) from a change', () => {
    const eds = new TypeState(ENDPOINT_TYPE);
    expect(updateSubscription(eds, ['a', 'b'], true)).toBe(true);
    expect(updateSubscription(eds, ['b', 'a', 'a'], false)).toBe(false);
    expect(updateSubscription(eds, ['b'], false)).toBe(true);
    const cds = new TypeState(CLUSTER_TYPE);
    expect(updateSubscription(cds, [], true)).toBe(true);
    expect(updateSubscription(cds, [], false)).toBe(false);
    expect(cds.wildcard).toBe(true);
    expect(updateSubscription(cds, ['x'], false)).toBe(true);
    expect(cds.wildcard).toBe(false);
  });

  it('uses the canonical name strings it is given', () => {
    const eds = new TypeState(ENDPOINT_TYPE);
    const canonical = 'outbound|5000||a.default.svc.cluster.local';
    updateSubscription(eds, [`outbound|5000||a.default.svc.cluster.local`.slice(0)], true, () => canonical);
    expect([...eds.names][0]).toBe(canonical);
  });

  it('shares one subscription set between streams with the same names, and never changes a shared one', () => {
    const sets = new SharedSets();
    const share = (digest: string) => (names: Set<string>) => sets.subscriptionOf(ENDPOINT_TYPE, digest, names);
    const first = new TypeState(ENDPOINT_TYPE);
    const second = new TypeState(ENDPOINT_TYPE);
    updateSubscription(first, ['a', 'b'], true, undefined, share('ab'));
    updateSubscription(second, ['a', 'b'], true, undefined, share('ab'));
    expect(second.names).toBe(first.names);
    // One stream changes its subscription: it gets a set of its own, the other keeps the shared one.
    updateSubscription(second, ['a'], false, undefined, share('a'));
    expect([...second.names]).toEqual(['a']);
    expect([...first.names]).toEqual(['a', 'b']);
    // A Delta-style change in place copies the shared set first.
    const third = new TypeState(ENDPOINT_TYPE);
    updateSubscription(third, ['a', 'b'], true, undefined, share('ab'));
    third.ownNames().add('c');
    expect([...first.names]).toEqual(['a', 'b']);
    expect([...third.names]).toEqual(['a', 'b', 'c']);
  });
});

describe('a request with the names of a known subscription (same digest) is not decoded', () => {
  /** Each request's names, keyed by a stand-in digest (the names joined). */
  const sequences: readonly (readonly string[])[][] = [
    [[], [], ['x'], [], ['*'], ['*', 'x'], []],
    [['a', 'b'], ['b', 'a', 'a'], ['b'], [], ['a', 'b']],
    [['*'], [], ['x', '*'], ['x']],
  ];

  it('leaves a stream in the state decoding the names would, and says the same about a change', () => {
    for (const typeUrl of [CLUSTER_TYPE, ENDPOINT_TYPE])
      for (const sequence of sequences) {
        const sets = new SharedSets();
        // A first stream decodes every request and records each subscription with how it was listed.
        const decoded = new TypeState(typeUrl);
        const viaKnown = new TypeState(typeUrl);
        let usedKnown = 0;
        sequence.forEach((names, i) => {
          const digest = names.join(',');
          const decodedChanged = updateSubscription(decoded, names, i === 0, undefined, (set, requested) =>
            sets.subscriptionOf(typeUrl, digest, set, requested),
          );
          // A second stream sending the same requests finds each one known (the first stream holds it).
          const known = sets.knownSubscription(typeUrl, digest);
          if (known !== undefined) usedKnown += 1;
          const knownChanged =
            known === undefined
              ? updateSubscription(viaKnown, names, i === 0)
              : applyKnownSubscription(viaKnown, known, i === 0);
          expect([
            typeUrl,
            names,
            knownChanged,
            viaKnown.wildcard,
            viaKnown.legacyWildcard,
            [...viaKnown.names],
          ]).toEqual([typeUrl, names, decodedChanged, decoded.wildcard, decoded.legacyWildcard, [...decoded.names]]);
        });
        expect(usedKnown).toBeGreaterThan(0);
      }
  });

  it('knows a subscription only when it was recorded with how its names were listed', () => {
    const sets = new SharedSets();
    sets.subscriptionOf(ENDPOINT_TYPE, 'd', new Set(['a']));
    expect(sets.knownSubscription(ENDPOINT_TYPE, 'd')).toBeUndefined();
    const names = sets.subscriptionOf(ENDPOINT_TYPE, 'd', new Set(['a']), ['a', 'a']);
    expect(sets.knownSubscription(ENDPOINT_TYPE, 'd')).toEqual({ names, listed: true, star: false });
    expect(sets.knownSubscription(CLUSTER_TYPE, 'd')).toBeUndefined();
  });
});

describe('SentResources', () => {
  it('holds a shared map without copying it, with per-stream changes and removals on top', () => {
    const sent = new SentResources();
    sent.replaceAll(shared);
    expect(sent.get('a')).toBe(shared.get('a'));
    const newer = resource('b', '2');
    sent.set('b', newer);
    sent.set('d', resource('d'));
    sent.delete('c');
    expect(sent.get('b')).toBe(newer);
    expect(sent.get('c')).toBeUndefined();
    expect([...sent.keys()]).toEqual(['a', 'b', 'd']);
    expect(sent.size).toBe(3);
    expect(shared.get('b')!.version).toBe('1');
    sent.delete('d');
    expect([...sent.keys()]).toEqual(['a', 'b']);
    expect(sent.size).toBe(2);
    sent.set('c', resource('c', '2'));
    expect(sent.size).toBe([...sent.keys()].length);
    sent.replaceAll(shared);
    expect([...sent.values()]).toEqual([...shared.values()]);
  });
});
