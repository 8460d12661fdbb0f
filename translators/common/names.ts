/** Istio's resource names, exactly. */

export function outboundClusterName(port: number, subset: string, hostname: string): string {
  return `outbound|${port}|${subset}|${hostname}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

/** The SNI (and the east-west gateway's cluster name) for a service port and subset. */
export function sniName(port: number, subset: string, hostname: string): string {
  return `outbound_.${port}_.${subset}_.${hostname}`;
}

export function parseOutboundClusterName(name: string): { port: number; subset: string; hostname: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const port = Number(parts[1]);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  return { port, subset: parts[2] ?? '', hostname: parts[3] ?? '' };
}

/** Proxyless gRPC listener and route configuration name: `<fqdn>:<port>`. */
export function hostPortName(hostname: string, port: number): string {
  return `${hostname}:${port}`;
}

/** Istio's fixed cluster names for traffic with no service: dropped, and forwarded to the original destination. */
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughCluster';

/** Sidecar listener names and ports (iptables redirects outbound traffic to 15001, inbound to 15006). */
export const VIRTUAL_OUTBOUND_LISTENER = 'virtualOutbound';
export const VIRTUAL_INBOUND_LISTENER = 'virtualInbound';
export const VIRTUAL_OUTBOUND_PORT = 15001;
export const VIRTUAL_INBOUND_PORT = 15006;
/** The east-west gateway's AUTO_PASSTHROUGH port (networking.istio.io/gatewayPort default). */
export const GATEWAY_PASSTHROUGH_PORT = 15443;

/** Listener names `<address>_<port>`: `0.0.0.0_15443`, `10.96.0.10_5000`. */
export function addressPortName(address: string, port: number): string {
  return `${address}_${port}`;
}

/** The resource-name prefix of proxyless gRPC server listeners (Istio's bootstrap template `…/%s`, %s = `ip:port`). */
export const GRPC_SERVER_LISTENER_PREFIX = 'xds.istio.io/grpc/lds/inbound/';
export const GRPC_SERVER_LISTENER_TEMPLATE = `${GRPC_SERVER_LISTENER_PREFIX}%s`;
