import { describe, expect, it } from 'vitest';
import { decodeMessage, duration, encodeMessage, packAny, typed, unpackAny } from './any.ts';
import { CLUSTER_TYPE, LISTENER_TYPE } from './type-urls.ts';

describe('Any packing', () => {
  it('round-trips a Cluster with a nested typed Any', () => {
    const cluster = {
      name: 'outbound|5000||helloworld.default.svc.cluster.local',
      type: 'EDS',
      connect_timeout: duration(10_000),
      transport_socket: {
        name: 'envoy.transport_sockets.raw_buffer',
        typed_config: typed('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer', {}),
      },
    };
    const any = packAny(CLUSTER_TYPE, cluster);
    const back = unpackAny(any);
    expect(back.name).toBe(cluster.name);
    expect(back.type).toBe('EDS');
    expect(back.connect_timeout).toEqual({ seconds: '10' });
    expect((back.transport_socket as { typed_config: Record<string, unknown> }).typed_config['@type']).toBe(
      'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer',
    );
  });

  it('rejects a field of the wrong type with a message naming it', () => {
    expect(() => encodeMessage(LISTENER_TYPE, { name: 'l', address: 'not-an-object' })).toThrow(
      /address: object expected/,
    );
  });

  it('encodes deterministically', () => {
    const a = encodeMessage(CLUSTER_TYPE, { name: 'x', type: 'EDS' });
    const b = encodeMessage(CLUSTER_TYPE, { name: 'x', type: 'EDS' });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(decodeMessage(CLUSTER_TYPE, a)).toEqual({ name: 'x', type: 'EDS' });
  });
});
