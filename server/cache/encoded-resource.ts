import { encodeMessage } from '../../protos/any.ts';
import type { XdsResource } from '../../translators/resource.ts';
import { contentVersion, encodeAnyBytes, type EncodedResource } from '../xds/encoded-resource.ts';

/** Encodes a generated resource once, into the form every stream sends as is (see server/xds/encoded-resource.ts). */
export function encodeResource(resource: XdsResource): EncodedResource {
  const valueBytes = encodeMessage(resource.typeUrl, resource.object);
  return {
    name: resource.name,
    typeUrl: resource.typeUrl,
    version: contentVersion(valueBytes),
    anyBytes: encodeAnyBytes(resource.typeUrl, valueBytes),
    valueBytes,
  };
}
