import { describe, expect, it } from 'vitest';
import { encodeResource } from '../cache/encoded-resource.ts';
import { ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import { encodeResourcesField, setVersion } from './encoded-resource.ts';
import { SharedSets } from './shared-sets.ts';

const assignment = (name: string, port: number) =>
  encodeResource({
    name,
    typeUrl: ENDPOINT_TYPE,
    object: {
      cluster_name: name,
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: port } } } }] },
      ],
    },
  });

describe('SharedSets.changedSetOf (one push of a few resources to many streams of a view)', () => {
  const a = assignment('a', 1);
  const b = assignment('b', 1);

  it('encodes the resources once for every stream sending the same change, with the version chained as before', () => {
    const sets = new SharedSets();
    const touched = ['a', 'b'];
    const first = sets.changedSetOf(touched, [a, b], 'v0');
    const second = sets.changedSetOf(touched, [a, b], 'v0');
    expect(second.field).toBe(first.field);
    expect(first.field).toEqual(encodeResourcesField([a, b]));
    expect(first.version).toBe(setVersion([{ name: '', version: 'v0' }, a, b]));
    // Another previous version: same bytes, its own chained version.
    const other = sets.changedSetOf(touched, [a, b], 'v1');
    expect(other.field).toBe(first.field);
    expect(other.version).toBe(setVersion([{ name: '', version: 'v1' }, a, b]));
  });

  it('encodes again when a stream sends a different part of the touched resources', () => {
    const sets = new SharedSets();
    const touched = ['a', 'b'];
    const both = sets.changedSetOf(touched, [a, b], 'v0');
    const one = sets.changedSetOf(touched, [a], 'v0');
    expect(one.field).toEqual(encodeResourcesField([a]));
    expect(one.version).toBe(setVersion([{ name: '', version: 'v0' }, a]));
    expect(one.field).not.toEqual(both.field);
    const changedB = assignment('b', 2);
    expect(sets.changedSetOf(touched, [a, changedB], 'v0').field).toEqual(encodeResourcesField([a, changedB]));
  });
});
