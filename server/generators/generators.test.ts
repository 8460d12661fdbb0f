import { describe, expect, it } from 'vitest';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, NAME_TABLE_TYPE, ROUTE_TYPE } from '../../protos/type-urls.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { MESH_GENERATORS } from './index.ts';

const change = (fields: Partial<SnapshotDelta>): SnapshotDelta => ({
  services: new Set(),
  endpoints: new Set(),
  gateways: false,
  config: false,
  full: false,
  ...fields,
});
const touched = (delta: SnapshotDelta) =>
  Object.fromEntries([...MESH_GENERATORS].map(([typeUrl, generator]) => [typeUrl, generator.touchedBy(delta)]));

describe('generators: what a change touches, per type (istiod needsPush)', () => {
  it('makes a config-only snapshot delta a full push: every type, every resource', () => {
    for (const value of Object.values(touched(change({ config: true })))) expect(value).toBe('all');
    for (const value of Object.values(touched(change({ full: true })))) expect(value).toBe('all');
    for (const value of Object.values(touched(change({ services: new Set(['a.ns.svc.cluster.local']) }))))
      expect(value).toBe('all');
  });

  it('an endpoint change touches only the EDS of the services it names', () => {
    const endpoints = new Set(['a.ns.svc.cluster.local']);
    expect(touched(change({ endpoints }))).toEqual({
      [CLUSTER_TYPE]: 'none',
      [ENDPOINT_TYPE]: endpoints,
      [LISTENER_TYPE]: 'none',
      [ROUTE_TYPE]: 'none',
      [NAME_TABLE_TYPE]: 'none',
    });
  });

  it('moved gateways touch every EDS resource and CDS, not listeners or routes', () => {
    expect(touched(change({ gateways: true }))).toEqual({
      [CLUSTER_TYPE]: 'all',
      [ENDPOINT_TYPE]: 'all',
      [LISTENER_TYPE]: 'none',
      [ROUTE_TYPE]: 'none',
      [NAME_TABLE_TYPE]: 'none',
    });
  });

  it('an empty change touches nothing', () => {
    for (const value of Object.values(touched(change({})))) expect(value).toBe('none');
  });
});
