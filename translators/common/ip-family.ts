import type { ProxyView } from '../../model/proxy-view.ts';
import type { BindConfig } from '../../protos/generated/envoy/config/core/v3/BindConfig.ts';

/**
 * Istio's listener addresses by the proxy's IP mode (pilot/pkg/networking/core/listener_address.go),
 * with ISTIO_DUAL_STACK off (Istio's default). An unknown family counts as IPv4, as Istio's
 * SupportsIPv4 for a proxy whose node id carries an IPv4 address.
 */

export const WILDCARD_IPV4 = '0.0.0.0';
export const WILDCARD_IPV6 = '::';
/** "6 is the magical number for inbound: 15006, 127.0.0.6, ::6". */
const INBOUND_PASSTHROUGH_BIND_IPV4 = '127.0.0.6';
const INBOUND_PASSTHROUGH_BIND_IPV6 = '::6';

/** The first wildcard of the proxy's mode: `::` for an IPv6-only proxy, else `0.0.0.0`. */
export function primaryWildcard(view: ProxyView): string {
  return view.ipFamily === 'ipv6' ? WILDCARD_IPV6 : WILDCARD_IPV4;
}

/**
 * The other wildcards of a dual-stack proxy (`::`): Istio adds them as additional_addresses of the
 * outbound listeners it binds to wildcards (buildListenerFromEntry, le.bind.Extra()), and, only with
 * ISTIO_DUAL_STACK, to virtualOutbound, virtualInbound and gateway listeners.
 */
export function extraWildcards(view: ProxyView): string[] {
  return view.ipFamily === 'dual' ? [WILDCARD_IPV6] : [];
}

/**
 * InboundPassthroughCluster's upstream_bind_config (buildInboundPassthroughCluster): 127.0.0.6 unless
 * the proxy is IPv6-only (::6); a dual-stack proxy also binds ::6 (extra_source_addresses), so Envoy
 * picks the source of the destination's family. Not gated by ISTIO_DUAL_STACK in Istio.
 */
export function inboundPassthroughBind(view: ProxyView): BindConfig {
  const family = view.ipFamily;
  return {
    source_address: {
      address: family === 'ipv6' ? INBOUND_PASSTHROUGH_BIND_IPV6 : INBOUND_PASSTHROUGH_BIND_IPV4,
      port_value: 0,
    },
    ...(family === 'dual'
      ? { extra_source_addresses: [{ address: { address: INBOUND_PASSTHROUGH_BIND_IPV6, port_value: 0 } }] }
      : {}),
  };
}

/** Istio's FilterAddressesByIPFamily for a single-family proxy; a dual-stack or unknown one keeps every address. */
export function addressesOfFamily(addresses: readonly string[], view: ProxyView): string[] {
  if (view.ipFamily === undefined || view.ipFamily === 'dual') return [...addresses];
  const v6 = view.ipFamily === 'ipv6';
  return addresses.filter((address) => address.includes(':') === v6);
}
