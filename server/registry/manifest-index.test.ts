import { describe, expect, it } from 'vitest';
import type { ManifestFile } from '../config/manifest-folder.ts';
import { parseLocated } from '../config/manifests.ts';
import { ManifestObjectIndex } from './manifest-index.ts';

const file = (relative: string, text: string): ManifestFile => ({
  path: `/m/${relative}`,
  relative,
  order: relative.split('/').join('\0'),
  text,
  parsed: parseLocated(text, relative),
});
const pod = (name: string, ip: string, namespace?: string): string =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}${namespace !== undefined ? `, namespace: ${namespace}` : ''}}\n` +
  `status: {podIP: ${ip}}\n`;
const ipOf = (index: ManifestObjectIndex): unknown =>
  (index.objectOf({ kind: 'Pod', key: 'default/p' }) as { status?: { podIP?: string } } | undefined)?.status?.podIP;

describe('ManifestObjectIndex', () => {
  it('takes a file applied twice (a reader that saw it before its change arrived) as once', () => {
    const index = new ManifestObjectIndex();
    const a = file('a.yaml', `${pod('p', '10.0.0.1', 'default')}---\n${pod('q', '10.0.0.2', 'default')}`);
    expect(index.apply([{ path: a.path, after: a }])).toHaveLength(2);
    index.apply([{ path: a.path, after: a }]);
    expect(index.errors('m/')).toEqual([]);
    expect(ipOf(index)).toBe('10.0.0.1');
    const smaller = file('a.yaml', pod('p', '10.0.0.3', 'default'));
    expect(index.apply([{ path: a.path, before: a, after: smaller }]).map((r) => r.key)).toEqual([
      'default/p',
      'default/q',
    ]);
    expect(index.objectOf({ kind: 'Pod', key: 'default/q' })).toBeUndefined();
    expect(ipOf(index)).toBe('10.0.0.3');
  });

  it('makes the later of two objects that are one record (namespace left out and "default") the record, as a listing does', () => {
    const index = new ManifestObjectIndex();
    const a = file('a.yaml', pod('p', '10.0.0.1'));
    const sub = file('sub/b.yaml', pod('p', '10.0.0.2', 'default'));
    index.apply([
      { path: sub.path, after: sub },
      { path: a.path, after: a },
    ]);
    // Folder order: "a.yaml" before the folder "sub".
    expect(ipOf(index)).toBe('10.0.0.2');
    expect(index.errors('m/')).toEqual([]);
    index.apply([{ path: sub.path, before: sub }]);
    expect(ipOf(index)).toBe('10.0.0.1');
    index.apply([{ path: a.path, before: a }]);
    expect(index.objectOf({ kind: 'Pod', key: 'default/p' })).toBeUndefined();
  });

  it('names every ignored copy in folder order, with the copy it lost to', () => {
    const index = new ManifestObjectIndex();
    const b = file('b.yaml', pod('p', '10.0.0.2', 'default'));
    const a = file('a.yaml', `${pod('p', '10.0.0.1', 'default')}---\n${pod('p', '10.0.0.9', 'default')}`);
    index.apply([
      { path: b.path, after: b },
      { path: a.path, after: a },
    ]);
    expect(ipOf(index)).toBe('10.0.0.1');
    expect(index.errors('m/').map((e) => `${e.path}: ${e.message}`)).toEqual([
      'm/a.yaml#1: Pod default/p is defined twice (first in m/a.yaml#0); this copy is ignored',
      'm/b.yaml#0: Pod default/p is defined twice (first in m/a.yaml#0); this copy is ignored',
    ]);
  });
});
