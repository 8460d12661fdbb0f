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
