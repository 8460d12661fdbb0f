import { describe, expect, it } from 'vitest';
import { findByKind, type ResourceType } from './resources.ts';
import { ObjectStore, type StoreEvent } from './store.ts';
import type { KubeObject } from './types.ts';

function typeOf(apiVersion: string, kind: string): ResourceType {
  const type = findByKind(apiVersion, kind);
  if (!type) throw new Error(`no type ${kind}`);
  return type;
}

const secretType = typeOf('v1', 'Secret');
const namespaceType = typeOf('v1', 'Namespace');
const secret = (name: string, namespace: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace },
  data,
});

describe('ObjectStore', () => {
  it('stamps a global, increasing resourceVersion on every write and creates namespaces on demand', () => {
    const store = new ObjectStore({ historyLimit: 100 });
    const events: StoreEvent[] = [];
    store.subscribe((event) => events.push(event));
    const a = store.create(secretType, secret('a', 'ns1'));
    const b = store.create(secretType, secret('b', 'ns1'));
    expect(store.get(namespaceType, '', 'ns1')).toBeDefined();
    expect(Number(b.metadata['resourceVersion'])).toBeGreaterThan(Number(a.metadata['resourceVersion']));
    expect(events.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name}`)).toEqual([
      'ADDED Namespace ns1',
      'ADDED Secret a',
      'ADDED Secret b',
    ]);
    expect(events.map((e) => e.resourceVersion)).toEqual([1, 2, 3]);
  });

  it('treats an update that changes nothing as a no-op, and bumps generation only for non-metadata changes', () => {
    const store = new ObjectStore({ historyLimit: 100 });
    const created = store.create(secretType, secret('a', 'ns', { k: 'dg==' }));
    const same = store.update(secretType, created);
    expect(same.metadata['resourceVersion']).toBe(created.metadata['resourceVersion']);
    const labelled = store.update(secretType, { ...same, metadata: { ...same.metadata, labels: { x: 'y' } } });
    expect(labelled.metadata['generation']).toBe(1);
    const changed = store.update(secretType, { ...labelled, data: { k: 'dzI=' } });
    expect(changed.metadata['generation']).toBe(2);
    expect(changed.metadata['uid']).toBe(created.metadata['uid']);
    expect(() => store.update(secretType, { ...labelled, data: { k: 'eA==' } })).toThrow(/has been modified/);
  });

  it('replays events after a resourceVersion until they fall out of the history window', () => {
    const store = new ObjectStore({ historyLimit: 3 });
    store.ensureNamespace('ns');
    const start = store.currentRevision();
    store.create(secretType, secret('a', 'ns'));
    store.create(secretType, secret('b', 'ns'));
    expect(store.eventsSince(start)).toHaveLength(2);
    store.create(secretType, secret('c', 'ns'));
    store.delete(secretType, 'ns', 'a');
    expect(store.eventsSince(start)).toBe('expired');
    const recent = store.eventsSince(start + 1);
    expect(recent === 'expired' ? [] : recent.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED b',
      'ADDED c',
      'DELETED a',
    ]);
    store.compact();
    expect(store.eventsSince(start + 1)).toBe('expired');
    expect(store.eventsSince(store.currentRevision())).toEqual([]);
  });

  it('deletes the objects of a deleted namespace, each with its own DELETED event', () => {
    const store = new ObjectStore({ historyLimit: 100 });
    store.create(secretType, secret('a', 'gone'));
    store.create(secretType, secret('b', 'kept'));
    const events: string[] = [];
    store.subscribe((event) => events.push(`${event.type} ${event.object.kind} ${event.object.metadata.name}`));
    store.delete(namespaceType, '', 'gone');
    expect(events).toEqual(['DELETED Secret a', 'DELETED Namespace gone']);
    expect(store.list(secretType, undefined).map((entry) => entry.key)).toEqual(['kept/b']);
  });
});
