import type { ProtoObject } from '../protos/any.ts';
import type { XdsTypeUrl } from '../protos/type-urls.ts';

/** A generated xDS resource before encoding. */
export interface XdsResource {
  readonly name: string;
  readonly typeUrl: XdsTypeUrl;
  readonly object: ProtoObject;
}

export const ADS_CONFIG_SOURCE = { ads: {}, resource_api_version: 'V3' } as const;
