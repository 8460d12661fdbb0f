import type { TypedObject } from '../../protos/any.ts';
import { TYPE_PREFIX } from '../../protos/type-urls.ts';
import type { HttpConnectionManager } from '../../protos/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.ts';
import type { TcpProxy } from '../../protos/generated/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.ts';
import type { RBAC as NetworkRbac } from '../../protos/generated/envoy/extensions/filters/network/rbac/v3/RBAC.ts';
import type { RBAC as HttpRbac } from '../../protos/generated/envoy/extensions/filters/http/rbac/v3/RBAC.ts';
import type { Router } from '../../protos/generated/envoy/extensions/filters/http/router/v3/Router.ts';
import type { HTTPFault } from '../../protos/generated/envoy/extensions/filters/http/fault/v3/HTTPFault.ts';
import type { TlsInspector } from '../../protos/generated/envoy/extensions/filters/listener/tls_inspector/v3/TlsInspector.ts';
import type { OriginalDst } from '../../protos/generated/envoy/extensions/filters/listener/original_dst/v3/OriginalDst.ts';
import type { UpstreamTlsContext } from '../../protos/generated/envoy/extensions/transport_sockets/tls/v3/UpstreamTlsContext.ts';
import type { DownstreamTlsContext } from '../../protos/generated/envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.ts';
import type { RawBuffer } from '../../protos/generated/envoy/extensions/transport_sockets/raw_buffer/v3/RawBuffer.ts';
import type { HttpProtocolOptions } from '../../protos/generated/envoy/extensions/upstreams/http/v3/HttpProtocolOptions.ts';
import type { PreviousHostsPredicate } from '../../protos/generated/envoy/extensions/retry/host/previous_hosts/v3/PreviousHostsPredicate.ts';
import type { TypedStruct } from '../../protos/generated/udpa/type/v1/TypedStruct.ts';
import type { CaresDnsResolverConfig } from '../../protos/generated/envoy/extensions/network/dns_resolver/cares/v3/CaresDnsResolverConfig.ts';

/**
 * The messages translators pack in a google.protobuf.Any (typed_config, typed_per_filter_config,
 * typed_extension_protocol_options, api_listener), keyed by the message's full name (its type URL
 * without the type.googleapis.com/ prefix), each as generated from the data-plane-api protos.
 */
export interface TypedConfigs {
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager': HttpConnectionManager;
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy': TcpProxy;
  'envoy.extensions.filters.network.rbac.v3.RBAC': NetworkRbac;
  'envoy.extensions.filters.http.rbac.v3.RBAC': HttpRbac;
  'envoy.extensions.filters.http.router.v3.Router': Router;
  'envoy.extensions.filters.http.fault.v3.HTTPFault': HTTPFault;
  'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector': TlsInspector;
  'envoy.extensions.filters.listener.original_dst.v3.OriginalDst': OriginalDst;
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext': UpstreamTlsContext;
  'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext': DownstreamTlsContext;
  'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer': RawBuffer;
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': HttpProtocolOptions;
  'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate': PreviousHostsPredicate;
  'udpa.type.v1.TypedStruct': TypedStruct;
  'envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig': CaresDnsResolverConfig;
}

export type TypedConfigName = keyof TypedConfigs;

/**
 * The one way translators pack a message in an Any: the message must be the generated type its type
 * name keys, so a misspelled field inside a typed_config is a type error. Same object as typed().
 */
export function typedConfig<N extends TypedConfigName>(name: N, message: TypedConfigs[N]): TypedObject {
  // The same `{'@type': url, ...fields}` object protos/any.ts typed() makes (which translators may not import).
  return { '@type': `${TYPE_PREFIX}${name}`, ...(message as object) };
}
