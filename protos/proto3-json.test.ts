import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, typed } from './any.ts';
import { fromProto3Json, Proto3JsonError, toProto3Json } from './proto3-json.ts';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const BOOTSTRAP = 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap';

describe('proto3 JSON mapping', () => {
  const cluster = {
    name: 'c',
    type: 'STATIC',
    connect_timeout: { seconds: 1, nanos: 500_000_000 },
    per_connection_buffer_limit_bytes: { value: 0 },
    metadata: {
      filter_metadata: {
        istio: {
          fields: {
            a: { stringValue: 'x' },
            n: { numberValue: 2 },
            l: { listValue: { values: [{ boolValue: true }, { nullValue: 'NULL_VALUE' }] } },
          },
        },
      },
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typed(
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        {
          explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 7 } } },
        },
      ),
    },
  };

  it('renders well-known types as Envoy parses them: Duration strings, Struct objects, bare wrapper values, Any with @type', () => {
    const json = toProto3Json(CLUSTER, decodeMessage(CLUSTER, encodeMessage(CLUSTER, cluster)));
    expect(json['connect_timeout']).toBe('1.500s');
    expect(json['per_connection_buffer_limit_bytes']).toBe(0);
    expect(json['metadata']).toEqual({ filter_metadata: { istio: { a: 'x', n: 2, l: [true, null] } } });
    const options = (json['typed_extension_protocol_options'] as Record<string, Record<string, unknown>>)[
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'
    ];
    expect(options).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 7 } },
    });
  });

  it('reads its own output back to the same bytes', () => {
    const bytes = encodeMessage(CLUSTER, cluster);
    const json = JSON.parse(JSON.stringify(toProto3Json(CLUSTER, decodeMessage(CLUSTER, bytes)))) as unknown;
    expect(Buffer.from(encodeMessage(CLUSTER, fromProto3Json(CLUSTER, json))).equals(Buffer.from(bytes))).toBe(true);
  });

  it('accepts lowerCamelCase names and negative or fractional durations', () => {
    const parsed = fromProto3Json(CLUSTER, { name: 'c', connectTimeout: '-0.25s' });
    expect(parsed).toEqual({ name: 'c', connect_timeout: { nanos: -250_000_000 } });
    expect(toProto3Json(CLUSTER, decodeMessage(CLUSTER, encodeMessage(CLUSTER, parsed)))['connect_timeout']).toBe(
      '-0.250s',
    );
  });

  it('rejects unknown fields, Durations that are not strings, and Anys of unknown types, naming the path', () => {
    expect(() => fromProto3Json(BOOTSTRAP, { node: { idd: 'x' } })).toThrow(/node\.idd: unknown field "idd"/);
    expect(() => fromProto3Json(CLUSTER, { connect_timeout: { seconds: 1 } })).toThrow(
      /connect_timeout: a Duration must be a string/,
    );
    expect(() =>
      fromProto3Json(CLUSTER, {
        transport_socket: { name: 't', typed_config: { '@type': 'type.googleapis.com/no.such.Type' } },
      }),
    ).toThrow(Proto3JsonError);
  });
});
