import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { lookupMessage } from '../../protos/load.ts';
import { decodeDiscoveryRequest } from './wire.ts';

const Request = lookupMessage('envoy.service.discovery.v3.DiscoveryRequest');
const encode = (object: Record<string, unknown>): Uint8Array => Request.encode(Request.fromObject(object)).finish();

describe('decodeDiscoveryRequest (scanned)', () => {
  it('reads the scalar fields, node and error_detail, and decodes names on demand', () => {
    const request = decodeDiscoveryRequest(
      encode({
        version_info: 'v1',
        type_url: 't',
        response_nonce: 'n',
        resource_names: ['a', 'b'],
        node: { id: 'x' },
        error_detail: { code: 3, message: 'bad' },
      }),
    );
    expect([request.version_info, request.type_url, request.response_nonce]).toEqual(['v1', 't', 'n']);
    expect(request.node?.id).toBe('x');
    expect(request.error_detail).toMatchObject({ code: 3, message: 'bad' });
    expect(request.resourceNames()).toEqual(['a', 'b']);
  });

  it('gives equal names equal digests whatever else differs, and different names different ones', () => {
    const ack = (nonce: string, names: string[]) =>
      decodeDiscoveryRequest(
        encode({ version_info: nonce, response_nonce: nonce, type_url: 't', resource_names: names }),
      ).namesDigest;
    expect(ack('1', ['a', 'b'])).toBe(ack('2', ['a', 'b']));
    expect(ack('1', ['a', 'b'])).not.toBe(ack('1', ['b', 'a']));
    expect(ack('1', ['a', 'b'])).not.toBe(ack('1', ['a']));
    expect(ack('1', [])).not.toBe(ack('1', ['']));
  });

  it('hashes names interleaved with other fields like contiguous ones', () => {
    const writer = protobuf.Writer.create();
    writer.uint32(26).string('a').uint32(34).string('t').uint32(26).string('b');
    const interleaved = decodeDiscoveryRequest(writer.finish());
    expect(interleaved.resourceNames()).toEqual(['a', 'b']);
    expect(interleaved.namesDigest).toBe(
      decodeDiscoveryRequest(encode({ type_url: 't', resource_names: ['a', 'b'] })).namesDigest,
    );
  });

  it('reads a long run of names (multi-byte lengths) and the fields after it, and rejects a name past the end', () => {
    const names = Array.from({ length: 300 }, (_, i) => `outbound|80||svc-${i}.${'x'.repeat(i)}.svc.cluster.local`);
    const request = decodeDiscoveryRequest(encode({ resource_names: names, type_url: 't', response_nonce: 'n' }));
    expect([request.type_url, request.response_nonce]).toEqual(['t', 'n']);
    expect(request.resourceNames()).toEqual(names);
    const other = decodeDiscoveryRequest(encode({ resource_names: [...names.slice(0, 299), 'y'], type_url: 't' }));
    expect(other.namesDigest).not.toBe(request.namesDigest);
    // Name "ab" claims 5 bytes; and a length varint cut off.
    expect(() => decodeDiscoveryRequest(new Uint8Array([0x1a, 0x05, 0x61, 0x62]))).toThrow(/past the end/);
    expect(() => decodeDiscoveryRequest(new Uint8Array([0x1a, 0x01, 0x61, 0x1a, 0x80]))).toThrow(
      /invalid resource_names/,
    );
  });

  it('rejects a known field with the wrong wire type', () => {
    expect(() => decodeDiscoveryRequest(new Uint8Array([0x18, 0x01]))).toThrow(/field 3 has wire type 0/);
  });
});

describe('encodeDiscoveryResponse', () => {
  it('gives the same bytes with a prebuilt shared resources field as without, and decodes', async () => {
    const { encodeResource } = await import('../cache/encoded-resource.ts');
    const { encodeResourcesField } = await import('./encoded-resource.ts');
    const { CLUSTER_TYPE } = await import('../../protos/type-urls.ts');
    const { encodeDiscoveryResponse } = await import('./wire.ts');
    const resources = ['a', 'b', 'c'].map((name) =>
      encodeResource({ name, typeUrl: CLUSTER_TYPE, object: { name, type: 'EDS' } }),
    );
    const common = {
      versionInfo: 'v1',
      resources,
      typeUrl: CLUSTER_TYPE,
      nonce: 'n1',
      controlPlane: { identifier: 'cp' },
    };
    const plain = encodeDiscoveryResponse(common);
    const shared = encodeDiscoveryResponse({ ...common, resourcesField: encodeResourcesField(resources) });
    expect(shared.equals(plain)).toBe(true);
    const decoded = lookupMessage('envoy.service.discovery.v3.DiscoveryResponse').decode(shared) as unknown as {
      version_info: string;
      nonce: string;
      resources: unknown[];
      type_url: string;
    };
    expect([decoded.version_info, decoded.nonce, decoded.type_url, decoded.resources.length]).toEqual([
      'v1',
      'n1',
      CLUSTER_TYPE,
      3,
    ]);
  });
});
