import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { lookupMessage } from '../../protos/load.ts';
import { decodeDiscoveryRequest } from './wire.ts';

const Request = lookupMessage('envoy.service.discovery.v3.DiscoveryRequest');
const encode = (object: Record<string, unknown>): Uint8Array => Request.encode(Request.fromObject(object)).finish();

describe('decodeDiscoveryRequest (scanned)', () => {
  it('reads the scalar fields, node and error_detail, and decodes names on demand', () => {
    const request = decodeDiscoveryRequest(
      encode({ version_info: 'v1', type_url: 't', response_nonce: 'n', resource_names: ['a', 'b'], node: { id: 'x' }, error_detail: { code: 3, message: 'bad' } }),
    );
    expect([request.version_info, request.type_url, request.response_nonce]).toEqual(['v1', 't', 'n']);
    expect(request.node?.id).toBe('x');
    expect(request.error_detail).toMatchObject({ code: 3, message: 'bad' });
    expect(request.resourceNames()).toEqual(['a', 'b']);
  });

  it('gives equal names equal digests whatever else differs, and different names different ones', () => {
    const ack = (nonce: string, names: string[]) => decodeDiscoveryRequest(encode({ version_info: nonce, response_nonce: nonce, type_url: 't', resource_names: names })).namesDigest;
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
    expect(interleaved.namesDigest).toBe(decodeDiscoveryRequest(encode({ type_url: 't', resource_names: ['a', 'b'] })).namesDigest);
  });

  it('rejects a known field with the wrong wire type', () => {
    expect(() => decodeDiscoveryRequest(new Uint8Array([0x18, 0x01]))).toThrow(/field 3 has wire type 0/);
  });
});
