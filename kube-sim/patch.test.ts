import { describe, expect, it } from 'vitest';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import type { JsonObject } from './types.ts';

describe('patches', () => {
  it('merge patch replaces lists and deletes keys set to null', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3] })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      l: [3],
    });
  });

  it('strategic merge patch merges lists by the key of $setElementOrder and strips directives', () => {
    const service: JsonObject = {
      spec: {
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'grpc', port: 90, protocol: 'TCP' },
        ],
      },
    };
    const patch: JsonObject = {
      spec: {
        '$setElementOrder/ports': [{ port: 80 }],
        ports: [
          { port: 80, targetPort: 8081 },
          { $patch: 'delete', port: 90 },
        ],
      },
    };
    expect(strategicMergePatch(service, patch)).toEqual({
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8081, protocol: 'TCP' }] },
    });
    expect(strategicMergePatch({ m: { a: 1, b: 2 } }, { m: { $patch: 'replace', c: 3 } })).toEqual({ m: { c: 3 } });
    expect(
      strategicMergePatch(
        { f: ['a', 'b'] },
        { '$deleteFromPrimitiveList/f': ['a'], '$setElementOrder/f': ['b', 'c'], f: ['c'] },
      ),
    ).toEqual({ f: ['b', 'c'] });
    expect(
      strategicMergePatch({ s: { type: 'A', a: 1 } }, { s: { $retainKeys: ['type', 'b'], type: 'B', b: 2 } }),
    ).toEqual({ s: { type: 'B', b: 2 } });
  });

  it('json patch applies operations in order and rejects missing paths', () => {
    expect(
      jsonPatch({ a: [1, 2], b: 'x' }, [
        { op: 'add', path: '/a/-', value: 3 },
        { op: 'remove', path: '/b' },
        { op: 'replace', path: '/a/0', value: 0 },
      ]),
    ).toEqual({ a: [0, 2, 3] });
    expect(() => jsonPatch({ a: 1 }, [{ op: 'remove', path: '/nope' }])).toThrow(/does not exist/);
  });
});
